//! Histogram buckets both binaries give their Prometheus exporter, so a metric is the same kind
//! (a histogram, not a summary) whichever process records it and `histogram_quantile` works
//! across them.

/// For every metric named `*_seconds`: request, job and model-call latencies.
pub const SECONDS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
