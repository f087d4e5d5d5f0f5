//! Simulated Kubernetes API server.
