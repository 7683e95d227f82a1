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
        var sb = new StringBuilder();
        foreach (var row in rows.OrderBy(r => r.PersonId, StringComparer.Ordinal).ThenBy(r => r.SourceName, StringComparer.Ordinal).ThenBy(r => r.SourceResource, StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            sb.Clear();
            sb.Append(Escape(row.PersonId)).Append(',')
                .Append(Escape(row.SourceName)).Append(',')
                .Append(Escape(row.SourceResource)).Append(',')
                .Append(Escape(row.EhrResource ?? "")).Append(',')
                .Append(row.ActionName).Append(',')
                .Append(Escape(row.Reason)).Append('\n');
            await writer.WriteAsync(sb.ToString()).ConfigureAwait(false);
        }
    }

    /// <summary>Quotes a field when it holds a comma, quote or line break.</summary>
    /// <param name="value">The field.</param>
    /// <returns>The CSV field.</returns>
    public static string Escape(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }
}
