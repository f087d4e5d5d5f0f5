//! A typed Flink REST client (work in progress).
