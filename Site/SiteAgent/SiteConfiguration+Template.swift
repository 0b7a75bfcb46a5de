extension SiteConfiguration {
    /// The commented configuration file hospital IT starts from (`tessera-site config template`,
    /// the site bundle's `site.toml`, the README). Paths are relative to the file's directory.
    /// - Parameter aggregatorURL: the aggregator's https URL to write in.
    public static func template(aggregatorURL: String = "https://aggregator.consortium.example:8443") -> String {
        """
        # Tessera site agent configuration (tessera-site run --config site.toml).
        # Relative paths are relative to this file's directory. Only adapter weights leave this
        # machine (outbound HTTPS to the aggregator); images, reports and text never do.

        state_directory = "state"    # checkpoints, stored updates, receipts, downloaded models
        threads = 2                  # CPU threads for training (a data-parallel shard each) and evaluation (1-256; default 1)

        [bundle]                     # the site bundle from the consortium (tessera ca issue-site)
        certificate = "site.pem"     # this site's certificate; its CN is the site id
        private_key = "site-key.pem" # keep mode 0600; never copy it elsewhere
        ca = "ca.pem"                # the consortium CA: the only certificate trusted
        aggregator_url = "\(aggregatorURL)"

        [model]
        # base = "/srv/tessera/base-model"  # a local copy of the base model (config.json,
        #                                   # model.safetensors, tokenizer.json), checked against the
        #                                   # round's base digest; absent: downloaded from the aggregator

        [data]                       # one directory per kind, as tessera data synth writes them
        labelled = "data/labelled"   # llava_instruct.json and/or vqa.json: trained on each round
                                     # (on what the round's plan asks for: conversations, VQA or both)
        test = "data/test"           # vqa.json: held out, evaluated after each round
        # reports = "data/reports"         # reports.jsonl: for later training methods
        # unlabelled = "data/unlabelled"   # images without text: for later self-training
        evaluation_items = 64        # test questions per evaluation (default 64)

        [training]
        # command = ["/opt/tessera/train-round"]  # hand each round to this trainer (a GPU cluster's job,
        #                                         # say) instead of training here; it gets the job file's
        #                                         # path as its last argument (docs/EXTERNAL_TRAINER.md)

        [proxy]                      # absent keys: HTTPS_PROXY / NO_PROXY from the environment
        # https_proxy = "http://proxy.hospital.example:3128"
        # no_proxy = "localhost,127.0.0.1"

        [log]
        format = "text"              # "text", or "json" for one JSON object per line

        [privacy]
        modules_to_save = ["multi_modal_projector"]  # whole modules this site lets leave besides
                                                     # LoRA factors; a plan asking for others is refused

        """
    }
}
