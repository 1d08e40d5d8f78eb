//! Frames shared among sessions: supervisors of one scope watching the same view at the same
//! size draw the same frame when the figures change, so it is rendered once, and the bytes
//! that turn one frame into the next on a client's screen are encoded once too. A session
//! only looks the update up and writes it to its channel: with 100 sessions on a scope, the
//! render, the 10,000-cell diff and the escape encoding happen once per change, not 100 times.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use ratatui::backend::{Backend, CrosstermBackend};
use ratatui::buffer::Buffer;

/// A rendered frame and what the render wrote back into the state.
#[derive(Debug)]
pub struct SharedFrame {
    pub buffer: Buffer,
    pub feedback: (usize, usize),
}

/// The screen a session's client shows: the frame drawn last and its key (`None` for a frame
/// of the session's own, such as a drill-down, which is never shared).
#[derive(Debug, Clone)]
pub struct Shown {
    pub key: Option<u64>,
    pub frame: Arc<SharedFrame>,
}

/// The last few values by key, oldest dropped first: the views a room of supervisors has
/// open at once is a handful, so a short list searched in order beats a map.
#[derive(Debug)]
struct Recent<K, V> {
    entries: Mutex<VecDeque<(K, V)>>,
    kept: usize,
}

impl<K: PartialEq, V: Clone> Recent<K, V> {
    fn new(kept: usize) -> Self {
        Self {
            entries: Mutex::new(VecDeque::with_capacity(kept)),
            kept,
        }
    }

    fn get(&self, key: &K) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    fn put(&self, key: K, value: V) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        entries.retain(|(k, _)| *k != key);
        if entries.len() >= self.kept {
            entries.pop_front();
        }
        entries.push_back((key, value));
    }
}

/// Frames kept: enough for the views a room of supervisors has open at once.
const FRAMES_KEPT: usize = 32;
/// Updates kept: sessions that joined at different moments may show different frames, each
/// needing its own update to the newest one.
const UPDATES_KEPT: usize = 64;

/// Start and end of a frame's update: synchronized output (DEC 2026) so terminals paint it
/// at once.
const SYNC_BEGIN: &[u8] = b"\x1b[?2026h";
const SYNC_END: &[u8] = b"\x1b[?2026l";

/// Rendered frames and encoded updates between them, shared by the sessions of a process.
#[derive(Debug)]
pub struct FrameCache {
    frames: Recent<u64, Arc<SharedFrame>>,
    /// By (the frame the client shows, `None` for a cleared screen; the frame to show).
    updates: Recent<(Option<u64>, u64), Bytes>,
}

impl Default for FrameCache {
    fn default() -> Self {
        Self {
            frames: Recent::new(FRAMES_KEPT),
            updates: Recent::new(UPDATES_KEPT),
        }
    }
}

impl FrameCache {
    pub fn frame(&self, key: u64) -> Option<Arc<SharedFrame>> {
        self.frames.get(&key)
    }

    pub fn put_frame(&self, key: u64, frame: Arc<SharedFrame>) {
        self.frames.put(key, frame);
    }

    /// The bytes that turn the screen `shown` (`None`: cleared) into `next`, both of
    /// `next`'s size; encoded once and shared when both frames have keys.
    pub fn update(
        &self,
        shown: Option<&Shown>,
        next_key: Option<u64>,
        next: &Buffer,
    ) -> std::io::Result<Bytes> {
        // A screen of another size is as good as cleared: the whole frame is drawn.
        let shown = shown.filter(|s| s.frame.buffer.area == next.area);
        // Shared only between keyed frames (a cleared screen counts as one).
        let from = match shown {
            None => Some(None),
            Some(Shown { key: Some(key), .. }) => Some(Some(*key)),
            Some(Shown { key: None, .. }) => None,
        };
        let shared_key = from.zip(next_key);
        if let Some(key) = shared_key
            && let Some(bytes) = self.updates.get(&key)
        {
            return Ok(bytes);
        }
        let bytes = encode_update(shown.map(|s| &s.frame.buffer), next)?;
        if let Some(key) = shared_key {
            self.updates.put(key, bytes.clone());
        }
        Ok(bytes)
    }
}

/// The escape sequences that turn a screen showing `shown` (`None`: cleared; else of
/// `next`'s size, as [`FrameCache::update`] ensures) into `next`: only the cells that differ,
/// within synchronized output; empty when nothing differs.
fn encode_update(shown: Option<&Buffer>, next: &Buffer) -> std::io::Result<Bytes> {
    let cleared;
    let shown = match shown {
        Some(buffer) => buffer,
        None => {
            cleared = Buffer::empty(next.area);
            &cleared
        }
    };
    let changes = shown.diff(next);
    if changes.is_empty() {
        return Ok(Bytes::new());
    }
    let mut out = Vec::with_capacity(changes.len() * 8 + 32);
    out.extend_from_slice(SYNC_BEGIN);
    CrosstermBackend::new(&mut out).draw(changes.into_iter())?;
    out.extend_from_slice(SYNC_END);
    Ok(Bytes::from(out))
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

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;

    fn frame(text: &str) -> Arc<SharedFrame> {
        let mut buffer = Buffer::empty(Rect::new(0, 0, 20, 2));
        buffer.set_string(0, 0, text, ratatui::style::Style::default());
        Arc::new(SharedFrame {
            buffer,
            feedback: (0, 0),
        })
    }

    #[test]
    fn an_update_writes_only_the_cells_that_differ() {
        let (a, b) = (frame("figures 10"), frame("figures 12"));
        let bytes = encode_update(Some(&a.buffer), &b.buffer).expect("encoded");
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.starts_with("\x1b[?2026h") && text.ends_with("\x1b[?2026l"));
        assert!(text.contains('2') && !text.contains("figures"), "{text:?}");
        assert!(
            encode_update(Some(&a.buffer), &a.buffer)
                .expect("encoded")
                .is_empty()
        );
        let first = encode_update(None, &a.buffer).expect("encoded");
        assert!(String::from_utf8_lossy(&first).contains("figures"));
    }

    #[test]
    fn updates_between_keyed_frames_are_encoded_once_and_shared() {
        let cache = FrameCache::default();
        let (a, b) = (frame("figures 10"), frame("figures 12"));
        let shown = Shown {
            key: Some(1),
            frame: Arc::clone(&a),
        };
        let first = cache
            .update(Some(&shown), Some(2), &b.buffer)
            .expect("encoded");
        // Another session showing frame 1 gets the very same bytes, even if it passes a
        // different buffer (it is not looked at on a hit).
        let again = cache
            .update(Some(&shown), Some(2), &a.buffer)
            .expect("shared");
        assert_eq!(first.as_ptr(), again.as_ptr());
        // A session's own frame (no key) is never shared.
        let own = Shown {
            key: None,
            frame: a,
        };
        let private = cache
            .update(Some(&own), Some(2), &b.buffer)
            .expect("encoded");
        assert_ne!(first.as_ptr(), private.as_ptr());
        assert_eq!(first, private);
    }
}
