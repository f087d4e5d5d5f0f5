//! Helpers for backend authors; less stable than the rest of the API (work in progress).
