//! What the binary shows on a terminal: the tables of a run and of each study (100 columns unless `--wide`), the
//! stage graph as DOT or Mermaid, the progress bar, and the colours of stderr.

pub mod batch;
pub mod compare;
pub mod console;
pub mod graph;
pub mod optimize;
pub mod progress;
pub mod run;
pub mod sensitivity;
pub mod sweep;
pub mod table;
pub mod trace;
pub mod value_of_information;
pub mod worlds;
