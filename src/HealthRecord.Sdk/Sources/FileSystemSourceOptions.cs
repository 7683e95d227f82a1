namespace HealthRecord.Sdk.Sources;

/// <summary>How the file-system source adapter treats symbolic links inside a source folder.</summary>
public enum SymbolicLinkPolicy
{
    /// <summary>No link inside a folder is followed; each is reported as a document that was not read.</summary>
    Skip = 0,

    /// <summary>
    /// A link is followed when its real target lies inside the source folder (the default). A link that leads out
    /// of the folder is reported and not read, so a folder cannot pull in files its owner did not name.
    /// </summary>
    WithinSource = 1,

    /// <summary>Every link is followed, wherever it leads.</summary>
    Follow = 2,
}

/// <summary>Options of the built-in file-system source adapter (<see cref="FileSystemSourceAdapter"/>).</summary>
/// <remarks>
/// Whatever the policy, only regular files are read (a named pipe, socket or device is reported and never opened),
/// each real file is read once however many paths lead to it, and a link loop ends at the folder already read.
/// A path named as the source itself (a file or folder) is always followed: naming it is the choice.
/// </remarks>
public sealed class FileSystemSourceOptions
{
    /// <summary>Which symbolic links inside a source folder are followed.</summary>
    /// <value>The default is <see cref="SymbolicLinkPolicy.WithinSource"/>.</value>
    public SymbolicLinkPolicy SymbolicLinks { get; set; } = SymbolicLinkPolicy.WithinSource;
}
