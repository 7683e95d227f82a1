namespace HealthRecord.Sdk.Ccda;

/// <summary>Limits and choices for reading C-CDA documents.</summary>
/// <remarks>Read once per conversion; change options before the reader is used, not while it reads.</remarks>
public sealed class CcdaOptions
{
    /// <summary>The most characters a document may hold (after decoding).</summary>
    /// <value>The default is 64 Mi characters.</value>
    public long MaxCharactersInDocument { get; set; } = 64L * 1024 * 1024;

    /// <summary>The deepest element nesting a document may have.</summary>
    /// <value>The default is 64; real C-CDA documents stay below 30.</value>
    public int MaxDepth { get; set; } = 64;

    /// <summary>The most attributes one element may carry.</summary>
    /// <value>The default is 64.</value>
    public int MaxAttributesPerElement { get; set; } = 64;

    /// <summary>The longest single text node (for example an embedded base64 attachment), in characters.</summary>
    /// <value>The default is 16 Mi characters.</value>
    public int MaxTextLength { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// The offset assumed for CDA times that carry hours but no time zone. FHIR requires a zone on every
    /// time, so without one such values keep their date only (and the report warns).
    /// </summary>
    /// <value>The default is <see langword="null"/>: times without a zone are reduced to their date.</value>
    public TimeSpan? AssumedTimeZone { get; set; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxCharactersInDocument, 1024L, nameof(MaxCharactersInDocument));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDepth, 8, nameof(MaxDepth));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxAttributesPerElement, 4, nameof(MaxAttributesPerElement));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTextLength, 1024, nameof(MaxTextLength));
        if (AssumedTimeZone is { } tz && (tz < TimeSpan.FromHours(-14) || tz > TimeSpan.FromHours(14)))
        {
            throw new ArgumentOutOfRangeException(nameof(AssumedTimeZone), tz, "A time-zone offset lies between -14:00 and +14:00.");
        }
    }
}
