// SiteAgent: the hospital-side agent behind `tessera-site`. Filled in by the site issue (#10).
