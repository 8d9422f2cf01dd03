//! The embedding model: which files make it, checking them, and running it.
//!
//! all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0): a 6-layer BERT giving 384-dimension
//! sentence vectors. It runs in-process with candle on the CPU, its weights memory-mapped.
//! Preprocessing matches sentence-transformers: no padding, truncation at 256 word pieces,
//! the mean over the real tokens, L2-normalised.

use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use sha2::{Digest, Sha256};
use tokenizers::{Tokenizer, TruncationParams};

use self::bert::{Bert, Config};
use self::mmap::mmap_weights;
use super::IndexError;

mod bert;
mod mmap;

/// The model's name, and its directory's name under `DATA_DIR/models/`.
pub const MODEL_NAME: &str = "all-MiniLM-L6-v2";
/// How long a vector is.
pub const DIMENSIONS: usize = 384;
/// The longest input in word pieces; the rest is cut, as sentence-transformers does.
const MAX_TOKENS: usize = 256;

/// One file of the model and the sha256 it must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelFile {
    pub name: &'static str,
    pub sha256: &'static str,
    pub size: u64,
}

/// The files `model install` copies and the daemon loads.
pub const MODEL_FILES: [ModelFile; 3] = [
    ModelFile {
        name: "model.safetensors",
        sha256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        size: 90_868_376,
    },
    ModelFile {
        name: "tokenizer.json",
        sha256: "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
        size: 466_247,
    },
    ModelFile {
        name: "config.json",
        sha256: "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
        size: 612,
    },
];

/// Where the model lives in a data dir.
pub fn model_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("models").join(MODEL_NAME)
}

/// The hex sha256 of a file.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read as _;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            return Ok(hex(&hasher.finalize()));
        }
        hasher.update(&buffer[..read]);
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What is wrong with a model directory, if anything: every file must be there with its size
/// (cheap, checked before loading); `full` also checks each sha256 (reads 91 MB).
pub fn check_model_dir(dir: &Path, full: bool) -> Result<(), IndexError> {
    for file in MODEL_FILES {
        let path = dir.join(file.name);
        let size = std::fs::metadata(&path)
            .map_err(|_| IndexError::ModelMissing { path: path.clone() })?
            .len();
        if size != file.size {
            return Err(IndexError::ModelDamaged {
                path,
                reason: format!("{size} bytes, expected {}", file.size),
            });
        }
        if full {
            let sum = sha256_file(&path).map_err(|e| IndexError::ModelDamaged {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            if sum != file.sha256 {
                return Err(IndexError::ModelDamaged {
                    path,
                    reason: format!("sha256 {sum}, expected {}", file.sha256),
                });
            }
        }
    }
    Ok(())
}

/// The loaded model: turns a text into a unit vector of [`DIMENSIONS`] numbers.
pub struct Embedder {
    tokenizer: Tokenizer,
    model: Bert,
    device: Device,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder").finish_non_exhaustive()
    }
}

impl Embedder {
    /// Loads the model in `dir`, its weights memory-mapped.
    pub fn load(dir: &Path) -> Result<Self, IndexError> {
        check_model_dir(dir, false)?;
        let damaged = |file: &str, reason: String| IndexError::ModelDamaged {
            path: dir.join(file),
            reason,
        };
        let config = std::fs::read_to_string(dir.join("config.json"))
            .map_err(|e| damaged("config.json", e.to_string()))?;
        let config: Config =
            serde_json::from_str(&config).map_err(|e| damaged("config.json", e.to_string()))?;
        let mut tokenizer = Tokenizer::from_file(dir.join("tokenizer.json"))
            .map_err(|e| damaged("tokenizer.json", e.to_string()))?;
        // The shipped tokenizer pads to 128; one text at a time needs no padding.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(|e| damaged("tokenizer.json", e.to_string()))?;
        let device = Device::Cpu;
        let weights = dir.join("model.safetensors");
        let vb = mmap_weights(&weights, &device)
            .map_err(|e| damaged("model.safetensors", e.to_string()))?;
        let model =
            Bert::load(vb, &config).map_err(|e| damaged("model.safetensors", e.to_string()))?;
        Ok(Self {
            tokenizer,
            model,
            device,
        })
    }

    /// The unit vector of `text`.
    pub fn embed(&self, text: &str) -> Result<Vec<f32>, IndexError> {
        let failed = |e: &dyn std::fmt::Display| IndexError::Embedding(e.to_string());
        let encoding = self.tokenizer.encode(text, true).map_err(|e| failed(&e))?;
        let tokens = encoding.get_ids().len();
        let run = || -> candle_core::Result<Vec<f32>> {
            let ids = Tensor::new(encoding.get_ids(), &self.device)?.unsqueeze(0)?;
            let hidden = self.model.forward(&ids)?; // [1, tokens, 384]
            // One text, no padding: every token is real, so the mean is over all of them.
            let pooled = (hidden.sum(1)? / tokens.max(1) as f64)?;
            let norm = pooled.sqr()?.sum_keepdim(1)?.sqrt()?;
            pooled.broadcast_div(&norm)?.squeeze(0)?.to_vec1::<f32>()
        };
        run().map_err(|e| failed(&e))
    }
}
