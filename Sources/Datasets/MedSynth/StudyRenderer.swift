import Tensor

/// Draws a study's anatomy and findings on a canvas.
///
/// Geometry is in normalised coordinates (see ``Canvas``), so a study looks the same at any size.
/// Findings are drawn with high contrast at their side and region, with radius
/// `size / fieldOfView / 2`, so small and large lesions differ by a factor of about 2.5 and stay
/// visible to a small model at 48–64 pixels. Sides follow the radiological convention: the patient's
/// right is on the image's left (histopathology: the image's left).
enum StudyRenderer {
    /// The canvas of `study` at `size` pixels; positions and textures come from `generator`.
    static func canvas(for study: Study, size: Int, generator: inout SeededGenerator) -> Canvas {
        switch study.modality {
        case .chestXRay: chestXRay(study, size: size, generator: &generator)
        case .brainMRI: brainMRI(study, size: size, generator: &generator)
        case .abdominalCT: abdominalCT(study, size: size, generator: &generator)
        case .histopathology: histopathology(study, size: size, generator: &generator)
        }
    }

    /// −1 when the finding lies on the image's left, +1 on its right.
    static func imageSide(of side: Finding.Side?, modality: Modality) -> Float {
        let patientRightOnImageLeft = modality != .histopathology
        switch side {
        case .right: return patientRightOnImageLeft ? -1 : 1
        case .left: return patientRightOnImageLeft ? 1 : -1
        case nil: return 1
        }
    }

    /// The drawn radius (fraction of the width) of a finding of `size` units.
    static func radius(of finding: Finding, modality: Modality) -> Float {
        Float(Double(finding.size ?? 0) / modality.fieldOfView / 2)
    }

    /// The vertical centres of `count` lesions spread over [`top`, `bottom`], jittered.
    static func spread(count: Int, top: Float, bottom: Float, generator: inout SeededGenerator) -> [Float] {
        let step = (bottom - top) / Float(count)
        return (0..<count).map { index in
            top + step * (Float(index) + 0.5) + generator.uniform(-0.15, 0.15) * step
        }
    }

    // MARK: Chest x-ray

    private static func chestXRay(_ study: Study, size: Int, generator: inout SeededGenerator) -> Canvas {
        var canvas = Canvas(size: size, value: 0.06)
        canvas.ellipse(x: 0.5, y: 0.56, radiusX: 0.47, radiusY: 0.52, .set(0.42))
        let lungY: Float = 0.47, lungRadiusX: Float = 0.15, lungRadiusY: Float = 0.30
        let lungCentres: [Float] = [0.31, 0.69]
        func inLung(_ x: Float, _ y: Float, centre: Float) -> Bool {
            let dx = (x - centre) / lungRadiusX, dy = (y - lungY) / lungRadiusY
            return dx * dx + dy * dy <= 1
        }
        for centre in lungCentres {
            canvas.ellipse(x: centre, y: lungY, radiusX: lungRadiusX, radiusY: lungRadiusY, .set(0.16))
        }
        // Ribs: bands curving down laterally, drawn faintly over both lungs.
        let ribPhase = generator.uniform(0, 1)
        canvas.forEachPixel(x0: 0.14, x1: 0.86, y0: 0.15, y1: 0.8) { x, y, value in
            guard inLung(x, y, centre: 0.31) || inLung(x, y, centre: 0.69) else { return }
            let curved = y * 9 - 3 * (x - 0.5) * (x - 0.5) + ribPhase
            if curved - curved.rounded(.down) < 0.28 { value += 0.07 }
        }
        canvas.ellipse(x: 0.5, y: 0.5, radiusX: 0.035, radiusY: 0.45, .set(0.55))
        let heart = study.finding(of: .cardiomegaly) == nil
            ? (radiusX: Float(0.13), radiusY: Float(0.11), y: Float(0.64))
            : (radiusX: Float(0.22), radiusY: Float(0.15), y: Float(0.62))
        canvas.ellipse(x: 0.54, y: heart.y, radiusX: heart.radiusX, radiusY: heart.radiusY, .set(0.62))

        for finding in study.findings {
            let sign = imageSide(of: finding.side, modality: .chestXRay)
            let centre: Float = sign < 0 ? 0.31 : 0.69
            let mask: (Float, Float) -> Bool = { x, y in inLung(x, y, centre: centre) }
            switch finding.type {
            case .nodule:
                let radius = radius(of: finding, modality: .chestXRay)
                let (top, bottom): (Float, Float) = finding.region == .upper ? (0.24, 0.42) : (0.5, 0.66)
                for y in spread(count: finding.count, top: top, bottom: bottom, generator: &generator) {
                    // Lateral half of the lung, clear of the mediastinum and heart.
                    let x = centre + sign * generator.uniform(0.0, 0.06)
                    canvas.ellipse(x: x, y: y, radiusX: radius, radiusY: radius, .set(0.9))
                }
            case .effusion:
                let height = Float(Double(finding.size ?? 0) / 200) * 0.6
                let level = lungY + lungRadiusY - height
                canvas.forEachPixel(x0: centre - lungRadiusX, x1: centre + lungRadiusX, y0: level - 0.08, y1: 0.8) { x, y, value in
                    // The meniscus climbs towards the chest wall.
                    let lateral = (x - centre) * sign / lungRadiusX
                    guard mask(x, y), y > level - 0.06 * max(lateral, 0) else { return }
                    value = 0.72
                }
            case .pneumothorax:
                let width = Float(Double(finding.size ?? 0) / 200) * 0.9
                let upper = finding.region == .upper
                canvas.forEachPixel(x0: centre - lungRadiusX, x1: centre + lungRadiusX, y0: 0.15, y1: 0.8) { x, y, value in
                    guard mask(x, y), upper ? y < lungY : y >= lungY else { return }
                    let fromWall = lungRadiusX - (x - centre) * sign
                    if fromWall < width { value = 0.02 } else if fromWall < width + 0.02 { value = 0.5 }
                }
            default:
                break  // cardiomegaly is the enlarged heart drawn above
            }
        }
        return canvas
    }

    // MARK: Brain MRI

    private static func brainMRI(_ study: Study, size: Int, generator: inout SeededGenerator) -> Canvas {
        var canvas = Canvas(size: size, value: 0.02)
        canvas.ellipse(x: 0.5, y: 0.5, radiusX: 0.39, radiusY: 0.46, .set(0.9))
        canvas.ellipse(x: 0.5, y: 0.5, radiusX: 0.345, radiusY: 0.415, .set(0.4))
        canvas.ellipse(x: 0.5, y: 0.5, radiusX: 0.27, radiusY: 0.34, .set(0.5))
        let ventricleSpread = generator.uniform(0.045, 0.06)
        for x in [0.5 - ventricleSpread, 0.5 + ventricleSpread] {
            canvas.ellipse(x: x, y: 0.5, radiusX: 0.03, radiusY: 0.1, .set(0.12))
        }
        canvas.ellipse(x: 0.5, y: 0.5, radiusX: 0.006, radiusY: 0.4, .set(0.3))
        for finding in study.findings {
            let sign = imageSide(of: finding.side, modality: .brainMRI)
            let radius = radius(of: finding, modality: .brainMRI)
            let (top, bottom): (Float, Float) = finding.region == .upper ? (0.24, 0.42) : (0.58, 0.76)
            switch finding.type {
            case .tumour:
                for y in spread(count: finding.count, top: top, bottom: bottom, generator: &generator) {
                    let x = 0.5 + sign * generator.uniform(0.15, 0.2)
                    canvas.ellipse(x: x, y: y, radiusX: radius * 1.7, radiusY: radius * 1.7, .set(0.22))
                    canvas.ellipse(x: x, y: y, radiusX: radius, radiusY: radius, .set(0.88))
                }
            case .haemorrhage:
                // A lens along the inner table of the skull.
                let thickness = max(radius * 0.6, 0.02)
                let x = 0.5 + sign * (0.345 - thickness * 0.8)
                let y = (top + bottom) / 2 + generator.uniform(-0.03, 0.03)
                canvas.ellipse(x: x, y: y, radiusX: thickness, radiusY: radius * 1.8, .set(1.0)) { px, py in
                    let dx = (px - 0.5) / 0.345, dy = (py - 0.5) / 0.415
                    return dx * dx + dy * dy <= 1
                }
            default:
                break
            }
        }
        return canvas
    }

    // MARK: Abdominal CT

    private static func abdominalCT(_ study: Study, size: Int, generator: inout SeededGenerator) -> Canvas {
        var canvas = Canvas(size: size, value: 0.0)
        canvas.ellipse(x: 0.5, y: 0.53, radiusX: 0.46, radiusY: 0.37, .set(0.24))
        canvas.ellipse(x: 0.5, y: 0.53, radiusX: 0.42, radiusY: 0.33, .set(0.42))
        let liver = (x: Float(0.34), y: Float(0.44), radiusX: Float(0.17), radiusY: Float(0.15))
        canvas.ellipse(x: liver.x, y: liver.y, radiusX: liver.radiusX, radiusY: liver.radiusY, .set(0.62))
        canvas.ellipse(x: 0.72, y: 0.45, radiusX: 0.07, radiusY: 0.09, .set(0.56))
        canvas.ellipse(x: 0.6, y: 0.35, radiusX: generator.uniform(0.05, 0.08), radiusY: 0.05, .set(0.04))
        canvas.ellipse(x: 0.5, y: 0.75, radiusX: 0.055, radiusY: 0.055, .set(0.95))
        canvas.ellipse(x: 0.5, y: 0.75, radiusX: 0.03, radiusY: 0.03, .set(0.7))
        canvas.ellipse(x: 0.5, y: 0.63, radiusX: 0.025, radiusY: 0.025, .set(0.72))
        let kidneyY: Float = 0.66
        for x: Float in [0.35, 0.65] {
            canvas.ellipse(x: x, y: kidneyY, radiusX: 0.055, radiusY: 0.085, .set(0.68))
        }
        for finding in study.findings {
            let radius = radius(of: finding, modality: .abdominalCT)
            switch finding.type {
            case .liverLesion:
                let y = finding.region == .upper ? liver.y - 0.06 : liver.y + 0.06
                let step: Float = 0.09
                for index in 0..<finding.count {
                    let x = liver.x + (Float(index) - Float(finding.count - 1) / 2) * step + generator.uniform(-0.015, 0.015)
                    canvas.ellipse(x: x, y: y + generator.uniform(-0.015, 0.015), radiusX: radius, radiusY: radius, .set(0.2))
                }
            case .kidneyStone:
                let x: Float = imageSide(of: finding.side, modality: .abdominalCT) < 0 ? 0.35 : 0.65
                let y = finding.region == .upper ? kidneyY - 0.045 : kidneyY + 0.045
                for index in 0..<finding.count {
                    let offset = (Float(index) - Float(finding.count - 1) / 2) * 0.035
                    canvas.ellipse(x: x + offset, y: y, radiusX: radius, radiusY: radius, .set(1.0))
                }
            default:
                break
            }
        }
        return canvas
    }

    // MARK: Histopathology

    private static func histopathology(_ study: Study, size: Int, generator: inout SeededGenerator) -> Canvas {
        var canvas = Canvas(size: size, value: 0.78)
        // Stroma: a separable product of sinusoids gives a fibrous texture without per-pixel sines.
        let frequencyX = generator.uniform(10, 18), frequencyY = generator.uniform(10, 18)
        let phaseX = generator.uniform(0, 6.3), phaseY = generator.uniform(0, 6.3)
        let columnWave = (0..<size).map { Float.sinApproximation(frequencyX * (Float($0) + 0.5) / Float(size) + phaseX) }
        let rowWave = (0..<size).map { Float.sinApproximation(frequencyY * (Float($0) + 0.5) / Float(size) + phaseY) }
        for row in 0..<size {
            for column in 0..<size {
                canvas.values[row * size + column] += 0.05 * columnWave[column] * rowWave[row]
            }
        }
        // Regular nuclei: about 40 per field at any size.
        for _ in 0..<40 {
            let radius = generator.uniform(0.012, 0.018)
            canvas.ellipse(x: generator.uniform(0.03, 0.97), y: generator.uniform(0.03, 0.97),
                           radiusX: radius, radiusY: radius * generator.uniform(0.7, 1), .set(0.4))
        }
        for finding in study.findings where finding.type == .atypicalCells {
            let sign = imageSide(of: finding.side, modality: .histopathology)
            let radius = radius(of: finding, modality: .histopathology)
            let baseY: Float = finding.region == .upper ? 0.27 : 0.73
            for index in 0..<finding.count {
                let x = 0.5 + sign * 0.23 + (Float(index) - Float(finding.count - 1) / 2) * 0.2
                let y = baseY + generator.uniform(-0.03, 0.03)
                canvas.ellipse(x: x, y: y, radiusX: radius, radiusY: radius, .set(0.55))
                let nuclei = max(3, Int(radius * 60))
                for _ in 0..<nuclei {
                    let angle = generator.uniform(0, 6.3), distance = radius * generator.uniform(0, 0.75)
                    canvas.ellipse(x: x + distance * Float.cosApproximation(angle), y: y + distance * Float.sinApproximation(angle),
                                   radiusX: 0.028, radiusY: 0.024, .set(0.06))
                }
            }
        }
        return canvas
    }
}

private extension Float {
    /// sin(x) for any x, by Bhaskara-style rational approximation after range reduction (error < 0.002):
    /// texture needs shape, not accuracy, and Foundation's sin would dominate a 64×64 image's cost.
    static func sinApproximation(_ x: Float) -> Float {
        let twoPi: Float = 6.283_185_3
        var t = x - twoPi * (x / twoPi).rounded(.down)   // [0, 2π)
        let sign: Float = t > .pi ? -1 : 1
        if t > .pi { t -= .pi }
        let product = t * (.pi - t)
        return sign * 16 * product / (5 * .pi * .pi - 4 * product)
    }

    static func cosApproximation(_ x: Float) -> Float { sinApproximation(x + .pi / 2) }
}
