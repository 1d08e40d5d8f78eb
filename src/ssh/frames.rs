//! Frames shared among sessions: supervisors of one scope watching the same view at the same
//! size draw the same frame when the figures change, so it is rendered once. Each session
//! still diffs it against what its own terminal shows and writes only the difference.

use std::sync::{Arc, Mutex};

use ratatui::buffer::Buffer;

/// A rendered frame and what the render wrote back into the state.
#[derive(Debug)]
pub struct SharedFrame {
    pub buffer: Buffer,
    pub feedback: (usize, usize),
}

/// The last few frames, by key (the state's frame key with the size and styles).
#[derive(Debug, Default)]
pub struct FrameCache {
    frames: Mutex<Vec<(u64, Arc<SharedFrame>)>>,
}

/// Frames kept: enough for the views a room of supervisors has open at once.
const KEPT: usize = 32;

impl FrameCache {
    pub fn get(&self, key: u64) -> Option<Arc<SharedFrame>> {
        let frames = self.frames.lock().ok()?;
        frames
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, f)| Arc::clone(f))
    }

    pub fn put(&self, key: u64, frame: SharedFrame) {
        let Ok(mut frames) = self.frames.lock() else {
            return;
        };
        frames.retain(|(k, _)| *k != key);
        if frames.len() >= KEPT {
            frames.remove(0);
        }
        frames.push((key, Arc::new(frame)));
    }
}

/// The key of a frame: the state's, the terminal size and the styles (by their debug form,
/// computed once per session).
pub fn frame_key(state_key: u64, size: ratatui::layout::Rect, styles_key: u64) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    state_key.hash(&mut h);
    (size.width, size.height).hash(&mut h);
    styles_key.hash(&mut h);
    h.finish()
}

pub fn styles_key(styles: &crate::tui::dashboard::DashStyles) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    format!("{styles:?}").hash(&mut h);
    h.finish()
}
