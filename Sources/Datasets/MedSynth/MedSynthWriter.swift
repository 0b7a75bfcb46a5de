import Tensor

/// Writes a whole MedSynth data set in the layout of docs/DATA_CARD.md:
///
///     OUT/medsynth.json                          manifest: options, site profiles, counts
///     OUT/public/{llava_instruct.json, vqa.json, reports.jsonl, images/}
///     OUT/test/{vqa.json, images/}               global held-out test set
///     OUT/sites/site-K/labelled/{llava_instruct.json, vqa.json, images/}
///     OUT/sites/site-K/reports/{reports.jsonl, images/}
///     OUT/sites/site-K/unlabelled/*.png
///     OUT/sites/site-K/test/{vqa.json, images/}
///
/// Every file is a function of the options alone (thread count excepted), so two runs give the same bytes.
public enum MedSynthWriter {
    /// Counts of one written split.
    public struct SplitSummary: Sendable, Equatable {
        /// The split's directory relative to the output root.
        public var directory: String
        /// Images written.
        public var images: Int
        /// LLaVA-Med records written.
        public var instructRecords: Int
        /// Report lines written.
        public var reports: Int
        /// VQA items written.
        public var vqaItems: Int
        /// Closed VQA items answered "yes".
        public var closedYes: Int
        /// Closed VQA items answered "no".
        public var closedNo: Int
    }

    /// Generates and writes the data set described by `options` under `root`.
    /// - Returns: One summary per split, in writing order.
    /// - Throws: `DatasetError.invalidOption` for bad options, `.unwritableFile` when a file cannot be written.
    public static func write(_ options: MedSynthOptions, to root: String) throws(DatasetError) -> [SplitSummary] {
        try options.validate()
        let generator = try MedSynthGenerator(seed: options.seed, imageSize: options.imageSize)
        var summaries: [SplitSummary] = []
        var profiles: [SiteProfile] = []
        for site in 0..<options.sites {
            var stream = SeededGenerator(seed: options.seed, stream: MedSynthSplit.profileStream(site: site + 1))
            profiles.append(SiteProfile(site: site, of: options.sites, heterogeneity: options.heterogeneity, generator: &stream))
        }

        let publicSamples = generator.samples(split: .publicSplit, range: 0..<options.publicImages, profile: .reference,
                                              threads: options.threads)
        summaries.append(try writeLabelled(publicSamples, at: root + "/public", reports: true, threads: options.threads))

        // The global test set: modalities in turn, each image under the scanner of a site in turn.
        let modalities = Modality.allCases
        let siteCount = max(options.sites, 1)
        let testPool = (0..<testPoolSize(items: options.testItems)).map { index in
            generator.sample(split: .globalTest, index: index,
                             profile: profiles.isEmpty ? .reference : profiles[(index / modalities.count) % siteCount],
                             modality: modalities[index % modalities.count])
        }
        summaries.append(try writeTestSet(testPool, items: options.testItems, byModality: true, seed: options.seed,
                                          split: .globalTest, at: root + "/test", threads: options.threads))

        let counts = options.sitePartCounts
        for (offset, profile) in profiles.enumerated() {
            let site = offset + 1
            let base = root + "/sites/site-\(site)"
            let labelled = generator.samples(split: .site(site, .labelled), range: 0..<counts.labelled, profile: profile,
                                             threads: options.threads)
            summaries.append(try writeLabelled(labelled, at: base + "/labelled", reports: false, threads: options.threads))
            let reports = generator.samples(split: .site(site, .reports), range: 0..<counts.reports, profile: profile,
                                            threads: options.threads)
            summaries.append(try writeReports(reports, at: base + "/reports", threads: options.threads))
            let unlabelled = generator.samples(split: .site(site, .unlabelled), range: 0..<counts.unlabelled, profile: profile,
                                               threads: options.threads)
            try writeImages(unlabelled, under: base + "/unlabelled", flat: true, threads: options.threads)
            summaries.append(SplitSummary(directory: "sites/site-\(site)/unlabelled", images: unlabelled.count,
                                          instructRecords: 0, reports: 0, vqaItems: 0, closedYes: 0, closedNo: 0))
            let sitePool = generator.samples(split: .site(site, .test), range: 0..<testPoolSize(items: options.siteTestItems),
                                             profile: profile, threads: options.threads)
            summaries.append(try writeTestSet(sitePool, items: options.siteTestItems, byModality: false, seed: options.seed,
                                              split: .site(site, .test), at: base + "/test", threads: options.threads))
        }
        try DatasetFile.write(manifest(options, profiles: profiles, summaries: summaries).serialized + "\n",
                              to: root + "/medsynth.json")
        return summaries
    }

    /// Candidate images for a test set of `items` questions: about 12 items per image are offered, a
    /// third of them kept, so the selection can balance types and answers.
    private static func testPoolSize(items: Int) -> Int {
        items == 0 ? 0 : max(8, (items + 3) / 4)
    }

    private static func writeLabelled(_ samples: [MedSynthSample], at directory: String, reports: Bool,
                                      threads: Int) throws(DatasetError) -> SplitSummary {
        try writeImages(samples, under: directory, flat: false, threads: threads)
        try DatasetFile.write(LlavaInstructDataset.encoded(samples.map(\.instruct)), to: directory + "/llava_instruct.json")
        let items = samples.flatMap(\.vqaItems)
        try DatasetFile.write(VQADataset.encoded(items), to: directory + "/vqa.json")
        if reports {
            try DatasetFile.write(ReportsFile.encoded(samples.map { .init(image: $0.imagePath, report: $0.report) }),
                                  to: directory + "/reports.jsonl")
        }
        return summary(directory, images: samples.count, instruct: samples.count, reports: reports ? samples.count : 0, items: items)
    }

    private static func writeReports(_ samples: [MedSynthSample], at directory: String, threads: Int) throws(DatasetError) -> SplitSummary {
        try writeImages(samples, under: directory, flat: false, threads: threads)
        try DatasetFile.write(ReportsFile.encoded(samples.map { .init(image: $0.imagePath, report: $0.report) }),
                              to: directory + "/reports.jsonl")
        return summary(directory, images: samples.count, instruct: 0, reports: samples.count, items: [])
    }

    private static func writeTestSet(_ pool: [MedSynthSample], items count: Int, byModality: Bool, seed: UInt64,
                                     split: MedSynthSplit, at directory: String, threads: Int) throws(DatasetError) -> SplitSummary {
        var generator = SeededGenerator(seed: seed, stream: split.stream(image: Int(UInt32.max)))
        var selected: [VQAItem] = []
        if byModality {
            for (position, modality) in Modality.allCases.enumerated() {
                let quota = count / Modality.allCases.count + (position < count % Modality.allCases.count ? 1 : 0)
                let candidates = pool.filter { $0.study.modality == modality }.flatMap(\.vqaItems)
                selected += TestSetSelector.select(candidates, count: quota, generator: &generator)
            }
        } else {
            selected = TestSetSelector.select(pool.flatMap(\.vqaItems), count: count, generator: &generator)
        }
        let used = Set(selected.map(\.image))
        let images = pool.filter { used.contains($0.imagePath) }
        try writeImages(images, under: directory, flat: false, threads: threads)
        try DatasetFile.write(VQADataset.encoded(selected), to: directory + "/vqa.json")
        return summary(directory, images: images.count, instruct: 0, reports: 0, items: selected)
    }

    /// Encodes and writes every sample's PNG on `threads` threads; `flat` drops the `images/` folder.
    private static func writeImages(_ samples: [MedSynthSample], under directory: String, flat: Bool,
                                    threads: Int) throws(DatasetError) {
        try DatasetFile.createDirectory(flat ? directory : directory + "/images")
        let failures = MedSynthGenerator.parallelMap(samples, threads: threads) { sample -> DatasetError? in
            let path = directory + "/" + (flat ? sample.study.id + ".png" : sample.imagePath)
            do {
                try DatasetFile.write(try PNGEncoder.encode(try sample.image), to: path)
                return nil
            } catch let error as DatasetError {
                return error
            } catch {
                return .unwritableFile(file: path, reason: "\(error)")
            }
        }
        if let failure = failures.compactMap({ $0 }).first { throw failure }
    }

    private static func summary(_ directory: String, images: Int, instruct: Int, reports: Int, items: [VQAItem]) -> SplitSummary {
        let relative = directory.split(separator: "/").suffix(directory.contains("/sites/") ? 3 : 1).joined(separator: "/")
        return SplitSummary(directory: relative, images: images, instructRecords: instruct, reports: reports, vqaItems: items.count,
                            closedYes: items.filter { $0.answerType == .closed && $0.answer == "yes" }.count,
                            closedNo: items.filter { $0.answerType == .closed && $0.answer == "no" }.count)
    }

    private static func manifest(_ options: MedSynthOptions, profiles: [SiteProfile], summaries: [SplitSummary]) -> JSONValue {
        func number(_ value: Double) -> JSONValue { .number((value * 1e6).rounded() / 1e6) }
        let sites: [JSONValue] = profiles.enumerated().map { index, profile in
            .object([
                ("site", .integer(index + 1)),
                ("modality_weights", .object(zip(Modality.allCases, profile.modalityWeights).map { ($0.rawValue, number($1)) })),
                ("abnormal_share", number(profile.abnormalShare)),
                ("finding_weights", .object(FindingType.allCases.map { ($0.rawValue, number(profile.findingWeights[$0] ?? 1)) })),
                ("scanner", .object([("contrast", number(Double(profile.scanner.contrast))), ("offset", number(Double(profile.scanner.offset))),
                                     ("noise", number(Double(profile.scanner.noise))), ("blur_passes", .integer(profile.scanner.blurPasses))])),
                ("report_style_weights", .object(zip(ReportStyle.allCases, profile.styleWeights).map { ($0.rawValue, number($1)) })),
                ("centimetre_share", number(profile.centimetreShare)),
            ])
        }
        let splits: [JSONValue] = summaries.map { summary in
            .object([("directory", .string(summary.directory)), ("images", .integer(summary.images)),
                     ("instruct_records", .integer(summary.instructRecords)), ("reports", .integer(summary.reports)),
                     ("vqa_items", .integer(summary.vqaItems)), ("closed_yes", .integer(summary.closedYes)),
                     ("closed_no", .integer(summary.closedNo))])
        }
        return .object([
            ("generator", .string("MedSynth")), ("format_version", .integer(1)),
            ("seed", .string(String(options.seed))), ("heterogeneity", number(options.heterogeneity)),
            ("image_size", .integer(options.imageSize)), ("sites", .array(sites)), ("splits", .array(splits)),
        ])
    }
}
