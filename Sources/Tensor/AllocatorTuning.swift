#if canImport(Glibc)
import CMalloc
#endif

/// glibc's allocator set for tensor work. Every operation allocates its result (up to megabytes)
/// and the step frees it again; by default glibc serves such blocks with fresh `mmap` pages and
/// trims the heap after frees, so each step faults all its memory in anew. Training the `demo`
/// preset spent a third of its time in the kernel that way. Fixed thresholds keep freed blocks in
/// the heap for the next step: the same peak memory, none of the page faults.
public enum AllocatorTuning {
    /// Serves blocks up to 32 MiB (glibc's largest mmap threshold) from the heap and never trims
    /// it below 1 GiB of free space. Process-wide; idempotent.
    public static func retainFreedMemory() {
        #if canImport(Glibc)
        _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 1 << 30)
        #endif
    }
}
