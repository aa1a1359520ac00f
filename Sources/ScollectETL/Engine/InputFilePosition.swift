import Foundation

/// How far the readers have got into the input file, without asking them: the read offset of
/// this process's descriptor open on the file (found by device and inode), as `pv --watchfd`
/// does. Plain, gzip'd (compressed bytes) and XML/JSON files are read sequentially through a
/// descriptor and have one; XLSX is read with `pread` at explicit offsets and has none.
/// The reader reads ahead a few chunks, so the offset runs slightly ahead of the rows counted;
/// a small file may have been read through (and closed) before the first look.
final class InputFilePosition: @unchecked Sendable {
    /// The file's size in bytes.
    let size: Int64
    private let descriptor: Int32?
    private let device: UInt64
    private let inode: UInt64
    private let isSequential: Bool

    /// Call once the reader has opened the file. `sequential`: the reader reads it through a
    /// descriptor's offset (every reader but XLSX).
    init(path: String, sequential: Bool = true) {
        var target = stat()
        guard stat(path, &target) == 0 else {
            (size, descriptor, device, inode, isSequential) = (0, nil, 0, 0, false)
            return
        }
        size = Int64(target.st_size)
        device = UInt64(target.st_dev)
        inode = UInt64(target.st_ino)
        descriptor = sequential ? InputFilePosition.openDescriptor(device: device, inode: inode) : nil
        isSequential = sequential
    }

    /// Bytes of the file read so far, when it is read through a descriptor. Once the reader
    /// has read to the end it closes the file (and the number may be reused for another
    /// file): the whole file was read.
    var bytesRead: Int64? {
        guard isSequential else { return nil }
        guard let descriptor else { return size }
        var info = stat()
        guard fstat(descriptor, &info) == 0, UInt64(info.st_dev) == device, UInt64(info.st_ino) == inode else { return size }
        let offset = lseek(descriptor, 0, SEEK_CUR)
        return offset >= 0 ? min(Int64(offset), size) : nil
    }

    /// The descriptor of this process open on that file (the highest, i.e. the latest opened).
    private static func openDescriptor(device: UInt64, inode: UInt64) -> Int32? {
        #if os(Linux)
        let folder = "/proc/self/fd"
        #else
        let folder = "/dev/fd"
        #endif
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        var found: Int32?
        for name in names {
            guard let fd = Int32(name) else { continue }
            var info = stat()
            guard fstat(fd, &info) == 0, UInt64(info.st_dev) == device, UInt64(info.st_ino) == inode else { continue }
            found = max(found ?? fd, fd)
        }
        return found
    }
}
