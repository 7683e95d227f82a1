namespace HealthRecord.Sdk.Hl7V2.Parsing;

/// <summary>Limits the parser enforces against oversized or hostile input.</summary>
public sealed class Hl7V2ParserOptions
{
    /// <summary>The default options.</summary>
    public static Hl7V2ParserOptions Default { get; } = new();

    /// <summary>The largest field, in characters; a longer field fails with <see cref="Errors.HealthRecordErrorCode.LimitExceeded"/>.</summary>
    /// <value>16 MiB characters (enough for base64 documents in OBX-5).</value>
    public int MaxFieldLength { get; init; } = 16 * 1024 * 1024;

    /// <summary>The most segments one message may have.</summary>
    /// <value>100,000.</value>
    public int MaxSegmentsPerMessage { get; init; } = 100_000;

    /// <summary>The most fields one segment may have.</summary>
    /// <value>1,000.</value>
    public int MaxFieldsPerSegment { get; init; } = 1_000;
}
