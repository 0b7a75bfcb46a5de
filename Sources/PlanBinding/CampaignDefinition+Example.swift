extension CampaignDefinition {
    /// A complete campaign file with every plan field, commented: what the README shows and
    /// `tessera-aggregator campaign template` prints. Sized for the `demo` model on 2-core machines.
    public static let exampleTOML = """
        # A Tessera campaign: every site trains each round exactly as below (ARCHITECTURE.md,
        # "The training plan"). The tensor lists are derived from the base model by the aggregator.
        name = "medsynth-demo"
        rounds = 3                        # rounds after round 0 (failed rounds count)

        [[objectives]]                    # total loss = Σ weight · objective; `ar` first
        name = "ar"
        weight = 1.0

        [schedule]
        steps = 30                        # optimizer steps per round at each site
        batch_size = 16
        gradient_accumulation = 1
        max_sequence_length = 192         # tokens per example (image tokens included)
        learning_rate = 0.001
        learning_rate_schedule = "cosine" # or "constant"
        warmup_steps = 3
        gradient_clip_norm = 1.0

        [optimizer]                       # AdamW; state starts fresh each round
        betas = [0.9, 0.999]
        epsilon = 1e-8
        weight_decay = 0.0

        [randomness]
        campaign_seed = 7                 # sites derive (campaign seed, round, site id) seeds

        [lora]                            # fixed for the campaign
        r = 8
        alpha = 16.0
        use_rslora = false
        dropout = 0.0
        target_modules = ".*language_model.*\\\\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)"
        modules_to_save = ["multi_modal_projector"]
        ffa = false                       # true exactly when round.strategy = "ffa"

        [wire]
        encoding = "bf16"                 # uploads: "fp32" (lossless) or "bf16"
        maximum_upload_bytes = 67108864

        [round]
        strategy = "fedavg"               # fedavg, ffa, svd-merge, median, trimmed-mean
        quorum = 2                        # fewest valid updates that make a release
        deadline_seconds = 600            # collection closes at quorum + deadline, or when all sites sent
        allow_replacement = false         # may a site replace its accepted update in a round

        [round.step_norm]                 # optional: bound on ‖update − global‖
        bound = 50.0
        on_exceed = "clip"                # or "reject"
        """
}
