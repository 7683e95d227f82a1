using HealthRecord.Sdk.Fhir;

namespace HealthRecord.Sdk.Model;

/// <summary>
/// The identity of a source record across an aggregation: the source name and the <c>Type/id</c> the source
/// gave it, written <c>source:Type/id</c> (the form lineage, split requests and merge decisions use).
/// </summary>
/// <param name="Source">The source name (never contains <c>:</c>).</param>
/// <param name="Type">The resource type as the source named it.</param>
/// <param name="Id">The id as the source named it.</param>
public readonly record struct RecordKey(string Source, string Type, string Id)
{
    /// <summary><c>Type/id</c> as the source named it.</summary>
    public string Reference => Type + "/" + Id;

    /// <summary>The key of a source record.</summary>
    /// <param name="record">The record.</param>
    /// <returns>Its key.</returns>
    public static RecordKey Of(Sources.SourceRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new RecordKey(record.SourceName, record.ResourceType, record.ResourceId);
    }

    /// <summary>The text <c>source:Type/id</c> of a source name and a <c>Type/id</c> reference.</summary>
    /// <param name="source">The source name.</param>
    /// <param name="reference"><c>Type/id</c>.</param>
    /// <returns><c>source:Type/id</c>.</returns>
    public static string Format(string source, string reference) => source + ":" + reference;

    /// <summary>Reads <c>source:Type/id</c> (a plain <c>Type/id</c>: no base URL, no version).</summary>
    /// <param name="text">The text.</param>
    /// <param name="key">The key, when the text is one.</param>
    /// <returns>Whether the text is a record key.</returns>
    public static bool TryParse(string? text, out RecordKey key)
    {
        key = default;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !ResourceReferences.TryParseTypeAndId(text[(colon + 1)..], out var type, out var id)
            || text.Length != colon + 1 + type.Length + 1 + id.Length)
        {
            return false;
        }

        key = new RecordKey(text[..colon], type, id);
        return true;
    }

    /// <summary>Reads <c>source:Type/id</c>.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The key.</returns>
    /// <exception cref="FormatException">The text is not <c>source:Type/id</c>.</exception>
    public static RecordKey Parse(string text) =>
        TryParse(text, out var key) ? key : throw new FormatException($"'{text}' is not a source record key: write source:Type/id (e.g. clinic:Condition/123).");

    /// <inheritdoc />
    public override string ToString() => Format(Source, Reference);
}
