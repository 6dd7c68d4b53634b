//! The graph engine: a compact weighted directed graph (CSR in both directions, `u32` node
//! indices, `f64` weights), several layers over the same nodes, and network algorithms that are
//! checked against networkx on known graphs. It knows nothing about people: the mirror model
//! hands it node indices and weighted edges.

pub mod arborescence;
pub mod betweenness;
pub mod brokerage;
pub mod closeness;
pub mod clustering;
pub mod community;
pub mod components;
pub mod constraint;
pub mod core;
pub mod csr;
pub mod degree;
pub mod page_rank;
pub mod paths;
pub mod scores;
pub mod spectral;

pub use csr::{Graph, MultiLayer, NodeIdx};
pub use scores::Scores;

/// Rows a parallel task takes at least in the power iterations' row loops (PageRank, HITS).
pub(crate) const ROWS_PER_TASK: usize = 1024;
