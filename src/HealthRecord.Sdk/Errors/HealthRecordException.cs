namespace HealthRecord.Sdk.Errors;

/// <summary>
/// The base of every error that HealthRecord.Sdk raises on purpose. Each carries a stable
/// <see cref="Code"/> that hosts can switch on and that maps to a FHIR <c>OperationOutcome</c> issue type.
/// </summary>
/// <remarks>Misuse of the API (null arguments, invalid enum values) raises the usual BCL exceptions instead.</remarks>
public abstract class HealthRecordException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="code">The stable error code.</param>
    /// <param name="message">A message that names what failed and where.</param>
    /// <param name="innerException">The underlying cause, if any.</param>
    protected HealthRecordException(HealthRecordErrorCode code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
    }

    /// <summary>The stable error code.</summary>
    public HealthRecordErrorCode Code { get; }

    /// <summary>The FHIR <c>OperationOutcome.issue.code</c> that corresponds to <see cref="Code"/>.</summary>
    public string OperationOutcomeIssueType => Code.ToIssueType();
}

/// <summary>A source (file, folder, document, message or server) could not be read.</summary>
public sealed class SourceReadException : HealthRecordException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="code">The stable error code.</param>
    /// <param name="sourceName">The name the host gave the source.</param>
    /// <param name="location">Where in the source the problem is (path, and line/entry when known).</param>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The underlying cause, if any.</param>
    public SourceReadException(HealthRecordErrorCode code, string sourceName, string location, string message, Exception? innerException = null)
        : base(code, $"Source '{sourceName}' at {location}: {message}", innerException)
    {
        SourceName = sourceName;
        Location = location;
        Reason = message;
    }

    /// <summary>The name the host gave the source.</summary>
    public string SourceName { get; }

    /// <summary>Where in the source the problem is.</summary>
    public string Location { get; }

    /// <summary>What is wrong, without the source and location prefix.</summary>
    public string Reason { get; }
}

/// <summary>An <see cref="Storage.IEhrStore"/> could not complete an operation; nothing was written.</summary>
public sealed class EhrStoreException : HealthRecordException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The underlying cause, if any.</param>
    public EhrStoreException(string message, Exception? innerException = null)
        : this(Storage.EhrStoreErrorKind.Failed, message, innerException)
    {
    }

    /// <summary>Creates the exception with what kind of failure it is.</summary>
    /// <param name="kind">What kind of failure, for hosts to switch on.</param>
    /// <param name="message">What failed, naming the store.</param>
    /// <param name="innerException">The underlying cause, if any.</param>
    public EhrStoreException(Storage.EhrStoreErrorKind kind, string message, Exception? innerException = null)
        : base(HealthRecordErrorCode.StoreFailure, message, innerException)
    {
        Kind = kind;
    }

    /// <summary>What kind of failure this is.</summary>
    public Storage.EhrStoreErrorKind Kind { get; }
}

/// <summary>The SDK was configured in a way that cannot work (for example an unknown merge policy name).</summary>
public sealed class HealthRecordConfigurationException : HealthRecordException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong with the configuration.</param>
    public HealthRecordConfigurationException(string message)
        : base(HealthRecordErrorCode.InvalidConfiguration, message)
    {
    }
}
