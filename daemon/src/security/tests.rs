//! The scanner on whole items.
