//! The process's allocator: the system's, with every large block offered to the kernel for 2 MiB
//! pages (`madvise(MADV_HUGEPAGE)`, Linux). The analysis walks hash tables and graphs of hundreds
//! of megabytes to gigabytes in random order, and with 4 KiB pages most of those reads also miss
//! the address-translation cache. Where transparent huge pages are in `madvise` mode (the common
//! default) nothing else asks for them; in `always` mode the advice changes nothing, and in
//! `never` mode the kernel ignores it. Small blocks are left alone: the advice is one system
//! call per block of at least [`LARGE`] bytes, and such blocks are few.

use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks of at least this size are advised (8 MiB: four huge pages or more).
pub const LARGE: usize = 8 << 20;

const HUGE_PAGE: usize = 2 << 20;

pub struct HugePages;

/// The whole huge pages inside `[ptr, ptr + size)`, when the block is large: (start, length).
pub fn advised_range(ptr: usize, size: usize) -> Option<(usize, usize)> {
    if ptr == 0 || size < LARGE {
        return None;
    }
    let start = ptr.checked_next_multiple_of(HUGE_PAGE)?;
    let end = ptr.checked_add(size)? & !(HUGE_PAGE - 1);
    (end > start).then(|| (start, end - start))
}

fn advise(ptr: *mut u8, size: usize) {
    #[cfg(target_os = "linux")]
    if let Some((start, len)) = advised_range(ptr as usize, size) {
        // SAFETY: [start, start + len) lies inside the block the allocator just returned, which
        // this process owns; MADV_HUGEPAGE changes only how its pages are backed, never their
        // contents, and a refusal (an old kernel, huge pages off) is harmless and ignored.
        unsafe {
            libc::madvise(start as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (ptr, size);
}

// SAFETY: every call is passed to the system allocator unchanged; the advice above does not
// touch the memory or the allocator's bookkeeping.
unsafe impl GlobalAlloc for HugePages {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc`, passed on.
        let p = unsafe { System.alloc(layout) };
        advise(p, layout.size());
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc_zeroed`, passed on.
        let p = unsafe { System.alloc_zeroed(layout) };
        advise(p, layout.size());
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract for `dealloc`, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract for `realloc`, passed on.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        advise(p, new_size);
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_huge_pages_inside_a_large_block_are_advised() {
        assert_eq!(advised_range(0x1000, LARGE - 1), None);
        assert_eq!(advised_range(0, LARGE), None);
        // Aligned: the whole block.
        assert_eq!(advised_range(HUGE_PAGE, LARGE), Some((HUGE_PAGE, LARGE)));
        // Unaligned: from the first boundary after the start to the last before the end.
        let (start, len) = advised_range(HUGE_PAGE + 16, LARGE).unwrap();
        assert_eq!(start, 2 * HUGE_PAGE);
        assert_eq!(start + len, HUGE_PAGE + LARGE);
        assert!(start >= HUGE_PAGE + 16 && start + len <= HUGE_PAGE + 16 + LARGE);
        assert_eq!(
            advised_range(usize::MAX - 16, LARGE),
            None,
            "past the address space"
        );
    }

    #[test]
    fn large_blocks_keep_their_contents_through_growth() {
        let mut v: Vec<u64> = (0..(LARGE as u64 / 8)).collect();
        v.extend(0..(LARGE as u64 / 8));
        v.shrink_to_fit();
        assert_eq!(v[LARGE / 8 - 1], LARGE as u64 / 8 - 1);
        assert_eq!(v[LARGE / 8], 0);
        assert_eq!(v.len(), LARGE / 4);
    }
}
