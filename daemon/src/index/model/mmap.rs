//! The one unsafe call of the search code: memory-mapping the model's weights.

use std::path::Path;

use candle_core::{DType, Device};
use candle_nn::VarBuilder;

/// Memory-maps the weights, so the 91 MB file is paged in by the kernel and shared with the
/// page cache instead of copied onto the heap.
#[allow(unsafe_code)]
pub fn mmap_weights(path: &Path, device: &Device) -> candle_core::Result<VarBuilder<'static>> {
    // SAFETY: the mapping is read-only and the file is ours (DATA_DIR/models, written once by
    // `model install` through a rename); it is unsound only if another process truncates
    // the file while it is mapped, which nothing in mcpproxy does.
    unsafe { VarBuilder::from_mmaped_safetensors(&[path], DType::F32, device) }
}
