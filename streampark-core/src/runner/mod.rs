//! The embedded SQL runner jar (work in progress).
