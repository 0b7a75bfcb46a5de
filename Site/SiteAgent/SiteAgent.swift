// SiteAgent: the hospital-side agent behind `tessera-site` (issue #10).
