using System.Text;
using HealthRecord.Sdk.Model;

namespace HealthRecord.Sdk.Export;

/// <summary>
/// Writes lineage as CSV (RFC 4180) with the columns
/// <c>person,source,source_resource,ehr_resource,action,reason</c>.
/// </summary>
public static class LineageCsv
{
    /// <summary>The header line.</summary>
    public const string Header = "person,source,source_resource,ehr_resource,action,reason";

    /// <summary>Writes the rows, ordered by person, source and source resource.</summary>
    /// <param name="rows">The rows.</param>
    /// <param name="writer">Where to write.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when written.</returns>
    public static async Task WriteAsync(IEnumerable<LineageEntry> rows, TextWriter writer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(writer);
        await writer.WriteAsync(Header + "\n").ConfigureAwait(false);
        await AppendAsync(rows, writer, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes the rows without the header, ordered by person, source and source resource: a population run writes
    /// each person's rows as the person is done, and joins the parts in person order after one header.
    /// </summary>
    /// <param name="rows">The rows.</param>
    /// <param name="writer">Where to write.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when written.</returns>
    public static async Task AppendAsync(IEnumerable<LineageEntry> rows, TextWriter writer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(writer);
        // Rows are gathered into one builder and handed to the writer in chunks: a string per row was most of what
        // writing lineage allocated, and an await per row most of its time.
        var sb = new StringBuilder(ChunkChars + 1024);
        foreach (var row in rows.OrderBy(r => r.PersonId, StringComparer.Ordinal).ThenBy(r => r.SourceName, StringComparer.Ordinal).ThenBy(r => r.SourceResource, StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            AppendEscaped(sb, row.PersonId).Append(',');
            AppendEscaped(sb, row.SourceName).Append(',');
            AppendEscaped(sb, row.SourceResource).Append(',');
            AppendEscaped(sb, row.EhrResource ?? "").Append(',')
                .Append(row.ActionName).Append(',');
            AppendEscaped(sb, row.Reason).Append('\n');
            if (sb.Length >= ChunkChars)
            {
                await writer.WriteAsync(sb, cancellationToken).ConfigureAwait(false);
                sb.Clear();
            }
        }

        if (sb.Length > 0)
        {
            await writer.WriteAsync(sb, cancellationToken).ConfigureAwait(false);
        }
    }

    private const int ChunkChars = 16 * 1024;

    // Escape without a string for the common field that needs no quotes.
    private static StringBuilder AppendEscaped(StringBuilder sb, string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? sb.Append(value) : sb.Append(Escape(value));

    /// <summary>Quotes a field when it holds a comma, quote or line break.</summary>
    /// <param name="value">The field.</param>
    /// <returns>The CSV field.</returns>
    public static string Escape(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }
}
