using System.Globalization;
using System.Text;
using System.Text.Json;
using HealthRecord.Sdk.Consent;
using HealthRecord.Sdk.Fhir;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Deidentification;

/// <summary>What a research export holds.</summary>
/// <param name="Persons">Persons written.</param>
/// <param name="ResourcesByType">Resources written per type (one NDJSON file each), ordered by type.</param>
/// <param name="RowsByDomain">Rows per CSV domain file, ordered by domain.</param>
/// <param name="KAnonymity">The re-identification risk of the export's quasi-identifiers.</param>
/// <param name="Report">The change report of every person, added up.</param>
public sealed record ResearchExportSummary(
    int Persons,
    IReadOnlyDictionary<string, int> ResourcesByType,
    IReadOnlyDictionary<string, int> RowsByDomain,
    KAnonymityReport KAnonymity,
    DeidentificationReport Report);

/// <summary>
/// Writes a research export into a folder, one person at a time: <c>fhir/&lt;Type&gt;.ndjson</c> (one file per resource type),
/// <c>csv/&lt;domain&gt;.csv</c> (conditions, medications, labs, encounters, immunizations; one row per record with the
/// pseudonymous person id), <c>k-anonymity.json</c> and <c>report.json</c> (the change report). Layout in docs/research-exports.md.
/// </summary>
/// <remarks>Not thread-safe: add persons from one thread.</remarks>
public sealed class ResearchExportWriter : IAsyncDisposable
{
    /// <summary>The CSV domains and their header lines.</summary>
    public static IReadOnlyDictionary<string, string> Domains { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["conditions"] = "person_id,record_id,code_system,code,display,clinical_status,onset,abatement,age_at_event",
        ["encounters"] = "person_id,record_id,class,type_system,type_code,type_display,start,end,age_at_event",
        ["immunizations"] = "person_id,record_id,code_system,code,display,status,date,age_at_event",
        ["labs"] = "person_id,record_id,code_system,code,display,value,unit,value_system,value_code,date,age_at_event",
        ["medications"] = "person_id,record_id,resource_type,code_system,code,display,status,date,age_at_event",
    };

    private readonly string folder;
    private readonly SortedDictionary<string, StreamWriter> ndjson = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, int> resourceCounts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StreamWriter> csv = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, int> rowCounts = new(StringComparer.Ordinal);
    private readonly List<QuasiIdentifiers> quasi = [];
    private readonly List<DeidentificationReport> reports = [];
    private bool completed;

    /// <summary>Creates the folder (and its <c>fhir</c> and <c>csv</c> folders) and the CSV files with their headers.</summary>
    /// <param name="folder">The export folder.</param>
    public ResearchExportWriter(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        this.folder = folder;
        Directory.CreateDirectory(Path.Combine(folder, "fhir"));
        Directory.CreateDirectory(Path.Combine(folder, "csv"));
        foreach (var (domain, header) in Domains)
        {
            var writer = Create(Path.Combine(folder, "csv", domain + ".csv"));
            writer.Write(header + "\n");
            csv[domain] = writer;
            rowCounts[domain] = 0;
        }
    }

    /// <summary>
    /// Whether a person's consents permit research use by the recipient, decided by the consent engine
    /// (<see cref="IConsentEvaluator.DecideAccess"/> with purpose of use <c>HRESCH</c>): only an explicit permit includes the person.
    /// </summary>
    /// <param name="evaluator">The consent engine.</param>
    /// <param name="consents">The person's consents.</param>
    /// <param name="recipient">The research recipient.</param>
    /// <returns><see langword="true"/> when research use is permitted.</returns>
    public static bool PermitsResearch(IConsentEvaluator evaluator, IReadOnlyList<Hl7.Fhir.Model.Consent> consents, ConsentRecipient recipient)
    {
        ArgumentNullException.ThrowIfNull(evaluator);
        ArgumentNullException.ThrowIfNull(consents);
        ArgumentNullException.ThrowIfNull(recipient);
        if (consents.Count == 0)
        {
            return false;
        }

        var decision = evaluator.DecideAccess(consents, new AccessRequest { Recipient = recipient, PurposeOfUse = [AccessRequest.Purpose("HRESCH")] });
        return decision.Decision == ConsentDecision.Permit;
    }

    /// <summary>Writes one person's de-identified records.</summary>
    /// <param name="result">The person's de-identification result.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task.</returns>
    public async System.Threading.Tasks.Task AddAsync(DeidentificationResult result, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(result);
        ObjectDisposedException.ThrowIf(completed, this);
        quasi.Add(result.QuasiIdentifiers);
        reports.Add(result.Report);
        foreach (var resource in result.Bundle.Entry.Select(e => e.Resource).Where(r => r is not null))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var type = resource!.TypeName;
            if (!ndjson.TryGetValue(type, out var writer))
            {
                writer = Create(Path.Combine(folder, "fhir", type + ".ndjson"));
                ndjson[type] = writer;
            }

            await writer.WriteAsync(FhirJson.Serialize(resource) + "\n").ConfigureAwait(false);
            resourceCounts[type] = resourceCounts.GetValueOrDefault(type) + 1;
            var age = resource.Id is { } id ? result.AgeAtEvent.GetValueOrDefault($"{type}/{id}", "") : "";
            if (Row(result.PersonId, resource, age) is { } row)
            {
                await csv[row.Domain].WriteAsync(row.Line + "\n").ConfigureAwait(false);
                rowCounts[row.Domain]++;
            }
        }
    }

    /// <summary>Writes <c>k-anonymity.json</c> and <c>report.json</c>, closes the files and returns what the export holds.</summary>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The summary.</returns>
    public async Task<ResearchExportSummary> CompleteAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(completed, this);
        var summary = new ResearchExportSummary(quasi.Count, resourceCounts, rowCounts, KAnonymity.Of(quasi), DeidentificationReport.Combine(reports));
        await CloseAsync().ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(folder, "k-anonymity.json"), JsonSerializer.Serialize(summary.KAnonymity, DeidentificationReport.JsonOptions) + "\n", cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(folder, "report.json"), summary.Report.ToJson() + "\n", cancellationToken).ConfigureAwait(false);
        return summary;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await CloseAsync().ConfigureAwait(false);

    private async System.Threading.Tasks.Task CloseAsync()
    {
        if (completed)
        {
            return;
        }

        completed = true;
        foreach (var writer in ndjson.Values.Concat(csv.Values))
        {
            await writer.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static StreamWriter Create(string path) => new(path, append: false, new UTF8Encoding(false)) { NewLine = "\n" };

    /// <summary>The CSV row of a record, or null when it belongs to no domain.</summary>
    internal static (string Domain, string Line)? Row(string person, Resource resource, string age)
    {
        var id = resource.Id ?? "";
        return resource switch
        {
            Condition c => ("conditions", Line(person, id, First(c.Code, out var d1).System, d1.Code, d1.Display, Code(c.ClinicalStatus), Date(c.Onset) ?? c.RecordedDate, Date(c.Abatement), age)),
            Encounter e => ("encounters", Line(person, id, e.Class?.Code, First(e.Type.FirstOrDefault(), out var d2).System, d2.Code, d2.Display, e.Period?.Start, e.Period?.End, age)),
            Immunization i => ("immunizations", Line(person, id, First(i.VaccineCode, out var d3).System, d3.Code, d3.Display, Literal(i.Status), Date(i.Occurrence), age)),
            Observation o when IsLab(o) => ("labs", Line(person, id, First(o.Code, out var d4).System, d4.Code, d4.Display, Value(o.Value), (o.Value as Quantity)?.Unit, (o.Value as CodeableConcept)?.Coding.FirstOrDefault()?.System, (o.Value as CodeableConcept)?.Coding.FirstOrDefault()?.Code, Date(o.Effective), age)),
            MedicationRequest m => ("medications", Line(person, id, "MedicationRequest", First(m.Medication as CodeableConcept, out var d5).System, d5.Code, d5.Display, Literal(m.Status), m.AuthoredOn, age)),
            MedicationStatement s => ("medications", Line(person, id, "MedicationStatement", First(s.Medication as CodeableConcept, out var d6).System, d6.Code, d6.Display, Literal(s.Status), Date(s.Effective) ?? s.DateAsserted, age)),
            MedicationAdministration a => ("medications", Line(person, id, "MedicationAdministration", First(a.Medication as CodeableConcept, out var d7).System, d7.Code, d7.Display, Literal(a.Status), Date(a.Effective), age)),
            _ => null,
        };
    }

    private static bool IsLab(Observation o) =>
        o.Category.SelectMany(c => c.Coding).Any(c => c.Code == "laboratory");

    private static Coding First(CodeableConcept? concept, out Coding coding)
    {
        coding = concept?.Coding.FirstOrDefault() ?? new Coding();
        return coding;
    }

    private static string? Code(CodeableConcept? concept) => concept?.Coding.FirstOrDefault()?.Code;

    private static string? Literal<T>(T? value)
        where T : struct, Enum => value is { } v ? Hl7.Fhir.Utility.EnumUtility.GetLiteral(v) : null;

    private static string? Date(DataType? value) => value switch
    {
        FhirDateTime dt => dt.Value,
        Period p => p.Start,
        Date d => d.Value,
        _ => null,
    };

    private static string? Value(DataType? value) => value switch
    {
        Quantity q => q.Comparator is { } c ? Hl7.Fhir.Utility.EnumUtility.GetLiteral(c) + q.Value?.ToString(CultureInfo.InvariantCulture) : q.Value?.ToString(CultureInfo.InvariantCulture),
        CodeableConcept cc => cc.Coding.FirstOrDefault()?.Display ?? cc.Text,
        FhirString s => s.Value,
        FhirBoolean b => b.Value is { } v ? (v ? "true" : "false") : null,
        Integer i => i.Value?.ToString(CultureInfo.InvariantCulture),
        _ => null,
    };

    private static string Line(params string?[] cells) => string.Join(",", cells.Select(Escape));

    private static string Escape(string? cell)
    {
        if (string.IsNullOrEmpty(cell))
        {
            return "";
        }

        return cell.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : cell;
    }
}
