using System.Runtime.InteropServices;
using System.Text;

namespace HealthRecord.Sdk.Sources;

/// <summary>The kind of a file-system entry, as <c>stat(2)</c> tells it.</summary>
internal enum FileKind
{
    /// <summary>The entry does not exist, or is a link that leads nowhere (dangling, or a loop).</summary>
    Missing,

    /// <summary>A regular file.</summary>
    Regular,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>A named pipe (FIFO): opening it for reading would wait for a writer.</summary>
    Fifo,

    /// <summary>A socket.</summary>
    Socket,

    /// <summary>A character or block device.</summary>
    Device,
}

/// <summary>What a file-system entry is (following links) and which real file it is.</summary>
/// <param name="Kind">The kind of the entry the path leads to.</param>
/// <param name="Identity">The real file: device and inode on Unix, the resolved full path elsewhere.</param>
internal readonly record struct FileStatus(FileKind Kind, string Identity)
{
    private const int S_IFMT = 0xF000, S_IFIFO = 0x1000, S_IFCHR = 0x2000, S_IFDIR = 0x4000, S_IFBLK = 0x6000, S_IFREG = 0x8000, S_IFSOCK = 0xC000;

    /// <summary>Whether <c>stat(2)</c> is used here (Linux x64/arm64, macOS); elsewhere the .NET view is used, which cannot tell pipes from files.</summary>
    internal static bool Native { get; } = Layout() is not null;

    /// <summary>Describes the entry the path leads to, following links.</summary>
    /// <param name="path">The path.</param>
    /// <returns>The status.</returns>
    public static FileStatus Of(string path)
    {
        if (Layout() is { } layout)
        {
            var buffer = new byte[512];
            int rc;
            try
            {
                rc = s_xstat ? XStat(layout.XstatVersion, path, buffer) : (OperatingSystem.IsMacOS() && RuntimeInformation.ProcessArchitecture == Architecture.X64 ? StatInode64(path, buffer) : Stat(path, buffer));
            }
            catch (EntryPointNotFoundException) when (!s_xstat && OperatingSystem.IsLinux())
            {
                // glibc before 2.33 exports __xstat only.
                s_xstat = true;
                rc = XStat(layout.XstatVersion, path, buffer);
            }

            if (rc != 0)
            {
                return new FileStatus(FileKind.Missing, path);
            }

            var mode = layout.ModeIs16Bits ? BitConverter.ToUInt16(buffer, layout.ModeOffset) : (int)BitConverter.ToUInt32(buffer, layout.ModeOffset);
            var device = layout.DeviceIs32Bits ? BitConverter.ToUInt32(buffer, 0) : BitConverter.ToUInt64(buffer, 0);
            var inode = BitConverter.ToUInt64(buffer, layout.InodeOffset);
            var kind = (mode & S_IFMT) switch
            {
                S_IFREG => FileKind.Regular,
                S_IFDIR => FileKind.Directory,
                S_IFIFO => FileKind.Fifo,
                S_IFSOCK => FileKind.Socket,
                S_IFCHR or S_IFBLK => FileKind.Device,
                _ => FileKind.Device,
            };
            return new FileStatus(kind, $"{device}:{inode}");
        }

        return Managed(path);
    }

    /// <summary>The real path of an entry, every link resolved, or <see langword="null"/> when it leads nowhere.</summary>
    /// <param name="path">The path.</param>
    /// <returns>The real path.</returns>
    public static string? RealPath(string path)
    {
        if (!OperatingSystem.IsWindows() && (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()))
        {
            var buffer = new byte[8192];
            return RealPathNative(path, buffer) == IntPtr.Zero ? null : Encoding.UTF8.GetString(buffer, 0, Array.IndexOf(buffer, (byte)0));
        }

        try
        {
            FileSystemInfo info = System.IO.Directory.Exists(path) ? new DirectoryInfo(path) : new FileInfo(path);
            var target = info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true);
            return target is { Exists: true } ? Path.GetFullPath(target.FullName) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static FileStatus Managed(string path)
    {
        var real = RealPath(path);
        if (real is null)
        {
            return new FileStatus(FileKind.Missing, path);
        }

        var kind = System.IO.Directory.Exists(real) ? FileKind.Directory : File.Exists(real) ? FileKind.Regular : FileKind.Missing;
        return new FileStatus(kind, OperatingSystem.IsWindows() ? real.ToUpperInvariant() : real);
    }

    private static volatile bool s_xstat;

    private sealed record StatLayout(int ModeOffset, bool ModeIs16Bits, int InodeOffset, bool DeviceIs32Bits, int XstatVersion);

    private static StatLayout? Layout() => (OperatingSystem.IsLinux(), OperatingSystem.IsMacOS(), RuntimeInformation.ProcessArchitecture) switch
    {
        // struct stat of glibc/musl on x86_64: st_dev u64, st_ino u64, st_nlink u64, st_mode u32.
        (true, _, Architecture.X64) => new StatLayout(24, false, 8, false, 1),
        // The generic 64-bit layout (arm64): st_dev u64, st_ino u64, st_mode u32, st_nlink u32.
        (true, _, Architecture.Arm64) => new StatLayout(16, false, 8, false, 0),
        // macOS (64-bit inodes): st_dev i32, st_mode u16, st_nlink u16, st_ino u64.
        (_, true, Architecture.X64 or Architecture.Arm64) => new StatLayout(4, true, 8, true, 0),
        _ => null,
    };

#pragma warning disable SYSLIB1054, CA5392, CA2101 // Plain P/Invoke into libc: a blittable buffer and a UTF-8 path, no generated marshalling needed.
    [DllImport("libc", EntryPoint = "stat", SetLastError = true)]
    private static extern int Stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] buffer);

    [DllImport("libc", EntryPoint = "stat$INODE64", SetLastError = true)]
    private static extern int StatInode64([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] buffer);

    [DllImport("libc", EntryPoint = "__xstat", SetLastError = true)]
    private static extern int XStat(int version, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] buffer);

    [DllImport("libc", EntryPoint = "realpath", SetLastError = true)]
    private static extern IntPtr RealPathNative([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] resolved);
#pragma warning restore SYSLIB1054, CA5392, CA2101
}
