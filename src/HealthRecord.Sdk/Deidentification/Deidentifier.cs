using System.Collections;
using System.Globalization;
using System.Text.RegularExpressions;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Model;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Hl7.FhirPath;
using Hl7.FhirPath.Expressions;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.Deidentification;

/// <summary>De-identifies one person's EHR: configurable rules with Safe Harbor defaults, and a change report.</summary>
/// <remarks>Implementations are thread-safe.</remarks>
public interface IDeidentifier
{
    /// <summary>De-identifies one person's EHR bundle (the collection bundle <c>aggregate</c> writes, or any bundle of one person).</summary>
    /// <param name="ehr">The bundle; it is not changed.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>The de-identified bundle, the person's research id and the change report.</returns>
    DeidentificationResult Deidentify(Bundle ehr, CancellationToken cancellationToken = default);
}

/// <summary>
/// The built-in <see cref="IDeidentifier"/>: walks every element of every resource (contained ones included), applies the
/// first rule that selects it (the host's rules, then <see cref="SafeHarborRules"/>), pseudonymises with a keyed HMAC,
/// shifts or generalises dates, labels each transformed resource in <c>meta.security</c> and counts every change.
/// </summary>
/// <remarks>Thread-safe: each call works on its own copy of the resources.</remarks>
public sealed partial class Deidentifier : IDeidentifier
{
    /// <summary>The code system of the <c>meta.security</c> labels (REDACTED, ABSTRED, MASKED, PSEUDED).</summary>
    public const string SecurityLabelSystem = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue";

    /// <summary>The identifier system of the research person id added to the de-identified Patient and bundle.</summary>
    public const string ResearchPersonSystem = "urn:healthrecord-sdk:research-person";

    /// <summary>The prefix of pseudonymised identifier systems (systems other than public HL7 ones).</summary>
    public const string PseudonymSystemPrefix = "urn:healthrecord-sdk:pseudonym-system:";

    private const string DataAbsentReasonUrl = "http://hl7.org/fhir/StructureDefinition/data-absent-reason";

    private static readonly string[] PublicSystemPrefixes =
    [
        "http://hl7.org/fhir/", "http://terminology.hl7.org/", "urn:oid:2.16.840.1.113883.4.", "urn:oid:2.16.840.1.113883.6.",
        "urn:healthrecord-sdk:", "http://loinc.org", "http://snomed.info/", "http://www.nlm.nih.gov/research/umls/rxnorm",
    ];

    private readonly DeidentificationOptions options;
    private readonly CompiledRule[] rules;
    private readonly KeyedHash hash;
    private readonly TimeProvider time;
    private readonly HashSet<string> restricted;

    /// <summary>Creates the de-identifier from registered options.</summary>
    /// <param name="options">The options.</param>
    /// <param name="timeProvider">The clock (ages of persons without dated records); <see cref="TimeProvider.System"/> when null.</param>
    /// <exception cref="HealthRecordConfigurationException">The key is shorter than 16 bytes, or a rule's path is not valid.</exception>
    public Deidentifier(IOptions<DeidentificationOptions> options, TimeProvider? timeProvider = null)
        : this((options ?? throw new ArgumentNullException(nameof(options))).Value, timeProvider)
    {
    }

    /// <summary>Creates the de-identifier.</summary>
    /// <param name="options">The options.</param>
    /// <param name="timeProvider">The clock (ages of persons without dated records); <see cref="TimeProvider.System"/> when null.</param>
    /// <exception cref="HealthRecordConfigurationException">The key is shorter than 16 bytes, or a rule's path is not valid.</exception>
    public Deidentifier(DeidentificationOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Key.Length < 16)
        {
            throw new HealthRecordConfigurationException("De-identification needs a secret key of at least 16 bytes (DeidentificationOptions.Key).");
        }

        if (options.MaxShiftDays is < 1 or > 3650)
        {
            throw new HealthRecordConfigurationException("DeidentificationOptions.MaxShiftDays must be between 1 and 3650.");
        }

        this.options = options;
        hash = new KeyedHash(options.Key.ToArray());
        time = timeProvider ?? TimeProvider.System;
        restricted = new HashSet<string>(options.RestrictedZipPrefixes, StringComparer.Ordinal);
        var all = options.Rules.Concat(options.UseSafeHarborDefaults ? SafeHarborRules.For(options.Mode) : []).ToList();
        var errors = new List<string>();
        rules = new CompiledRule[all.Count];
        for (var i = 0; i < all.Count; i++)
        {
            rules[i] = CompiledRule.Compile(i, all[i], errors);
        }

        if (errors.Count > 0)
        {
            throw new HealthRecordConfigurationException("Invalid de-identification rules: " + string.Join("; ", errors));
        }
    }

    /// <summary>De-identifies an aggregate (its EHR bundle, see <see cref="EhrBundleBuilder"/>).</summary>
    /// <param name="ehr">The EHR; it is not changed.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>The result.</returns>
    public DeidentificationResult Deidentify(EhrAggregate ehr, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ehr);
        return Deidentify(EhrBundleBuilder.Build(ehr), cancellationToken);
    }

    /// <inheritdoc />
    public DeidentificationResult Deidentify(Bundle ehr, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ehr);
        var resources = ehr.Entry.Where(e => e.Resource is not null).ToList();
        var patient = resources.Select(e => e.Resource).OfType<Patient>().FirstOrDefault();
        var personKey = (patient is null ? null : (options.PersonKey ?? DefaultPersonKey)(patient)) ?? patient?.Id ?? ehr.Id ?? "";
        var personId = hash.Token("person", personKey, 24);
        var shift = options.Mode == DeidentificationMode.DateShift ? hash.Shift(personKey, options.MaxShiftDays) : 0;
        var birth = ClinicalDates.Parse(patient?.BirthDate);
        var lastEvent = resources.Select(e => ClinicalDates.Of(e.Resource)).Where(d => d is not null).Max()
            ?? ClinicalDates.Parse((patient?.Deceased as FhirDateTime)?.Value)
            ?? DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var over89 = birth is { } b && ClinicalDates.Age(b, lastEvent) > 89;

        var run = new Run(this, shift, over89);
        var output = new Bundle { Type = Bundle.BundleType.Collection, Identifier = new Identifier(ResearchPersonSystem, personId) };
        var ages = new Dictionary<string, string>(StringComparer.Ordinal);
        var transformed = 0;
        var removed = 0;
        foreach (var entry in resources)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = run.TransformResource(entry.Resource!);
            if (result is null)
            {
                removed++;
                continue;
            }

            if (result.Meta?.Security.Any(c => c.System == SecurityLabelSystem) == true)
            {
                transformed++;
            }

            if (result is Patient p && ReferenceEquals(entry.Resource, patient))
            {
                p.Identifier.Add(new Identifier(ResearchPersonSystem, personId));
            }

            if (birth is { } bd && ClinicalDates.Of(entry.Resource!) is { } when && result.Id is not null)
            {
                var age = ClinicalDates.Age(bd, when);
                ages[$"{result.TypeName}/{result.Id}"] = age > 89 ? "90+" : age.ToString(CultureInfo.InvariantCulture);
            }

            output.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = entry.FullUrl is { } url ? PseudoReference(url) : result.Id is { } id ? "urn:uuid:" + id : null,
                Resource = result,
            });
        }

        var outPatient = ReferenceEquals(patient, null) ? null : output.Entry.Select(e => e.Resource).OfType<Patient>().FirstOrDefault();
        var zip = outPatient?.Address.Select(a => a.PostalCode).FirstOrDefault(z => !string.IsNullOrEmpty(z)) ?? "";
        var birthYear = over89 ? "90+" : outPatient?.BirthDate is { Length: >= 4 } y ? y[..4] : "";
        return new DeidentificationResult
        {
            Bundle = output,
            PersonId = personId,
            ShiftDays = shift,
            AgeAtEvent = ages,
            QuasiIdentifiers = new QuasiIdentifiers(birthYear, outPatient?.Gender is { } g ? Hl7.Fhir.Utility.EnumUtility.GetLiteral(g) ?? "" : "", zip),
            Report = new DeidentificationReport
            {
                Mode = options.Mode,
                Resources = resources.Count,
                TransformedResources = transformed,
                RemovedResources = removed,
                Changes = DeidentificationReport.Order(run.Counts),
            },
        };
    }

    /// <summary>The default person key: birth date, family name and first given name, normalised.</summary>
    internal static string? DefaultPersonKey(Patient patient)
    {
        var name = patient.Name.FirstOrDefault(n => n.Use == HumanName.NameUse.Official) ?? patient.Name.FirstOrDefault();
        var family = Normalize(name?.Family);
        var given = Normalize(name?.Given.FirstOrDefault());
        if (string.IsNullOrEmpty(patient.BirthDate) && family.Length == 0)
        {
            return null;
        }

        return $"{patient.BirthDate}|{family}|{given}";
    }

    private static string Normalize(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var decomposed = text.Normalize(System.Text.NormalizationForm.FormD);
        return string.Concat(decomposed.Where(char.IsLetterOrDigit)).ToUpperInvariant();
    }

    internal string PseudoId(string id) => hash.Uuid("id", id);

    internal string PseudoReference(string reference)
    {
        if (reference.StartsWith('#'))
        {
            return reference;
        }

        if (reference.StartsWith("urn:uuid:", StringComparison.OrdinalIgnoreCase))
        {
            return "urn:uuid:" + PseudoId(reference["urn:uuid:".Length..]);
        }

        var match = RestReference().Match(reference);
        return match.Success
            ? match.Groups["type"].Value + "/" + PseudoId(match.Groups["id"].Value)
            : "urn:uuid:" + PseudoId(reference);
    }

    internal string PseudoSystem(string? system) =>
        system is null ? "" :
        PublicSystemPrefixes.Any(p => system.StartsWith(p, StringComparison.Ordinal)) ? system :
        PseudonymSystemPrefix + hash.Token("system", system, 16);

    internal string PseudoValue(string? system, string value) => hash.Token("identifier", (system ?? "") + "|" + value, 20);

    internal string? Zip3(string? postalCode)
    {
        var trimmed = postalCode?.Trim() ?? "";
        if (!UsZip().IsMatch(trimmed))
        {
            return null;
        }

        var prefix = trimmed[..3];
        return restricted.Contains(prefix) ? "000" : prefix;
    }

    [GeneratedRegex(@"(?:^|/)(?<type>[A-Z][A-Za-z]+)/(?<id>[A-Za-z0-9\-\.]{1,64})(?:/_history/[^/]*)?$", RegexOptions.CultureInvariant)]
    private static partial Regex RestReference();

    [GeneratedRegex(@"^\d{5}(?:-?\d{4})?$", RegexOptions.CultureInvariant)]
    private static partial Regex UsZip();

    /// <summary>One call's state: counts, the resource being walked, its labels.</summary>
    private sealed class Run(Deidentifier owner, int shift, bool over89)
    {
        private readonly HashSet<string> labels = new(StringComparer.Ordinal);
        private Dictionary<Base, int> matches = new(ReferenceEqualityComparer.Instance);

        public Dictionary<(string Rule, DeidentificationAction Action, string Path), int> Counts { get; } = [];

        public Resource? TransformResource(Resource original)
        {
            var resource = (Resource)original.DeepCopy();
            labels.Clear();
            if (ResourceRule(resource) is { Rule.Method: DeidentificationMethod.Remove } drop)
            {
                Count(drop, DeidentificationAction.Removed, resource.TypeName);
                return null;
            }

            VisitResource(resource);
            if (labels.Count > 0)
            {
                resource.Meta ??= new Meta();
                foreach (var code in labels.Order(StringComparer.Ordinal))
                {
                    if (!resource.Meta.Security.Any(c => c.System == SecurityLabelSystem && c.Code == code))
                    {
                        resource.Meta.Security.Add(new Coding(SecurityLabelSystem, code));
                    }
                }
            }

            return resource;
        }

        private CompiledRule? ResourceRule(Resource resource)
        {
            foreach (var rule in owner.rules)
            {
                if (rule.Kind == RuleKind.Path && rule.Rule.Path == resource.TypeName)
                {
                    return rule;
                }

                if (rule.Kind == RuleKind.Expression && (rule.Root is null || rule.Root == resource.TypeName || rule.Root == "Resource")
                    && resource.Select(rule.Rule.Path).Any(n => ReferenceEquals(n, resource)))
                {
                    return rule;
                }
            }

            return null;
        }

        private void VisitResource(Resource resource)
        {
            var saved = matches;
            matches = new Dictionary<Base, int>(ReferenceEqualityComparer.Instance);
            foreach (var rule in owner.rules)
            {
                if (rule.Kind != RuleKind.Expression || (rule.Root is not null && rule.Root != resource.TypeName && rule.Root != "Resource"))
                {
                    continue;
                }

                foreach (var node in resource.Select(rule.Rule.Path))
                {
                    if (node is not null)
                    {
                        matches.TryAdd(node, rule.Index);
                    }
                }
            }

            VisitChildren(resource, resource.TypeName);
            matches = saved;
        }

        private void VisitChildren(Base node, string path)
        {
            foreach (var (key, value) in node.EnumerateElements().ToList())
            {
                if (value is Base child)
                {
                    Visit(node, key, null, child, path + "." + key);
                }
                else if (value is IList list)
                {
                    foreach (var item in list.Cast<object>().ToList())
                    {
                        if (item is Base element)
                        {
                            Visit(node, key, list, element, path + "." + key);
                        }
                    }
                }
            }
        }

        private void Visit(Base parent, string key, IList? list, Base node, string path)
        {
            if (node is Resource resource)
            {
                if (ResourceRule(resource) is { Rule.Method: DeidentificationMethod.Remove } drop)
                {
                    Remove(parent, key, list, node);
                    Count(drop, DeidentificationAction.Removed, resource.TypeName);
                }
                else
                {
                    VisitResource(resource);
                }

                return;
            }

            var rule = Find(parent, key, node, path);
            switch (rule?.Rule.Method)
            {
                case null:
                case DeidentificationMethod.Keep:
                    VisitChildren(node, path);
                    PruneIfEmpty(parent, key, list, node);
                    break;
                case DeidentificationMethod.Remove:
                    Remove(parent, key, list, node);
                    Count(rule, DeidentificationAction.Removed, path);
                    break;
                case DeidentificationMethod.Generalize:
                    Generalize(rule, parent, key, list, node, path);
                    break;
                case DeidentificationMethod.Pseudonymize:
                    Pseudonymize(rule, parent, key, list, node, path);
                    break;
                case DeidentificationMethod.Scrub:
                    Scrub(rule, parent, key, list, node, path);
                    break;
                default:
                    Remove(parent, key, list, node);
                    Count(rule, DeidentificationAction.Removed, path);
                    break;
            }
        }

        private CompiledRule? Find(Base parent, string key, Base node, string path)
        {
            matches.TryGetValue(node, out var expressionIndex);
            var hasExpression = matches.ContainsKey(node);
            foreach (var rule in owner.rules)
            {
                if (hasExpression && rule.Index == expressionIndex)
                {
                    return rule;
                }

                if (rule.Matches(parent, key, node, path))
                {
                    return rule;
                }
            }

            return null;
        }

        private void Generalize(CompiledRule rule, Base parent, string key, IList? list, Base node, string path)
        {
            switch (node)
            {
                case Date or FhirDateTime or Instant:
                    GeneralizeDate(rule, parent, key, list, (PrimitiveType)node, path);
                    break;
                case Address address:
                    var general = new Address
                    {
                        Use = address.Use,
                        State = address.State,
                        Country = address.Country,
                        PostalCode = owner.Zip3(address.PostalCode),
                    };
                    Replace(parent, key, list, node, general);
                    Count(rule, DeidentificationAction.Generalized, path);
                    break;
                case Quantity quantity:
                    if (AgeInYears(quantity) is > 89m)
                    {
                        quantity.Value = 90m;
                        quantity.Comparator = Quantity.QuantityComparator.GreaterOrEqual;
                        quantity.Unit = "a";
                        quantity.System = "http://unitsofmeasure.org";
                        quantity.Code = "a";
                        Count(rule, DeidentificationAction.Generalized, path);
                    }

                    VisitChildren(node, path);
                    break;
                default:
                    Remove(parent, key, list, node);
                    Count(rule, DeidentificationAction.Removed, path);
                    break;
            }
        }

        private void GeneralizeDate(CompiledRule rule, Base parent, string key, IList? list, PrimitiveType node, string path)
        {
            if (over89 && path == "Patient.birthDate")
            {
                Remove(parent, key, list, node);
                Count(rule, DeidentificationAction.Removed, path);
                return;
            }

            if (node is Instant && shift == 0)
            {
                Remove(parent, key, list, node);
                Count(rule, DeidentificationAction.Removed, path);
                return;
            }

            var text = node.JsonValue as string;
            var changed = text is null ? null : shift == 0 ? DateValues.Year(text) : DateValues.Shift(text, shift);
            if (changed is null)
            {
                if (node.Extension.Count == 0 || text is not null)
                {
                    Remove(parent, key, list, node);
                    Count(rule, DeidentificationAction.Removed, path);
                    return;
                }
            }
            else
            {
                node.JsonValue = changed;
                Count(rule, shift == 0 ? DeidentificationAction.Generalized : DeidentificationAction.Shifted, path);
            }

            VisitChildren(node, path);
        }

        private void Pseudonymize(CompiledRule rule, Base parent, string key, IList? list, Base node, string path)
        {
            switch (node)
            {
                case Identifier identifier:
                    if (string.IsNullOrEmpty(identifier.Value))
                    {
                        Remove(parent, key, list, node);
                        Count(rule, DeidentificationAction.Removed, path);
                        return;
                    }

                    var pseudonym = new Identifier
                    {
                        Use = identifier.Use,
                        System = owner.PseudoSystem(identifier.System) is { Length: > 0 } s ? s : null,
                        Value = owner.PseudoValue(identifier.System, identifier.Value),
                    };
                    if (identifier.Type is { } type && type.Coding.Count > 0)
                    {
                        pseudonym.Type = new CodeableConcept { Coding = [.. type.Coding.Select(c => new Coding(c.System, c.Code, c.Display))] };
                    }

                    Replace(parent, key, list, node, pseudonym);
                    Count(rule, DeidentificationAction.Pseudonymized, path);
                    return;
                case ResourceReference reference:
                    reference.Display = null;
                    reference.ElementId = null;
                    reference.Extension.Clear();
                    if (reference.Reference is { } target)
                    {
                        reference.Reference = owner.PseudoReference(target);
                    }

                    if (reference.Identifier is { } refId)
                    {
                        Visit(reference, "identifier", null, refId, path + ".identifier");
                    }

                    if (reference.Reference is null && reference.Identifier is null)
                    {
                        Remove(parent, key, list, node);
                        Count(rule, DeidentificationAction.Removed, path);
                    }
                    else
                    {
                        Count(rule, DeidentificationAction.Pseudonymized, path);
                    }

                    return;
                case PrimitiveType primitive when primitive.JsonValue is string value:
                    primitive.JsonValue = key == "fullUrl" ? owner.PseudoReference(value)
                        : primitive is Id || key == "id" ? owner.PseudoId(value)
                        : owner.hash.Token("string", value, 20);
                    primitive.Extension.Clear();
                    Count(rule, DeidentificationAction.Pseudonymized, path);
                    return;
                default:
                    Remove(parent, key, list, node);
                    Count(rule, DeidentificationAction.Removed, path);
                    return;
            }
        }

        private void Scrub(CompiledRule rule, Base parent, string key, IList? list, Base node, string path)
        {
            var scrubber = owner.options.TextScrubber;
            switch (node)
            {
                case Narrative narrative when scrubber is not null && scrubber(DateValues.PlainText(narrative.Div)) is { Length: > 0 } text:
                    Replace(parent, key, list, node, new Narrative
                    {
                        Status = Narrative.NarrativeStatus.Generated,
                        Div = "<div xmlns=\"http://www.w3.org/1999/xhtml\">" + System.Security.SecurityElement.Escape(text) + "</div>",
                    });
                    Count(rule, DeidentificationAction.Scrubbed, path);
                    return;
                case Annotation annotation when scrubber is not null && annotation.Text is { } note && scrubber(note) is { Length: > 0 } text:
                    Replace(parent, key, list, node, new Annotation { Text = text });
                    Count(rule, DeidentificationAction.Scrubbed, path);
                    return;
                case PrimitiveType primitive when scrubber is not null && primitive is FhirString or Markdown && primitive.JsonValue is string value
                    && scrubber(value) is { Length: > 0 } text:
                    primitive.JsonValue = text;
                    primitive.Extension.Clear();
                    Count(rule, DeidentificationAction.Scrubbed, path);
                    return;
                default:
                    Remove(parent, key, list, node);
                    Count(rule, DeidentificationAction.Removed, path);
                    return;
            }
        }

        private static decimal? AgeInYears(Quantity quantity)
        {
            if (quantity.Value is not { } value)
            {
                return null;
            }

            var unit = (quantity.Code ?? quantity.Unit ?? "a").Trim().ToLowerInvariant();
            return unit switch
            {
                "a" or "yr" or "yrs" or "y" or "year" or "years" or "ann" => value,
                "mo" or "month" or "months" => value / 12m,
                "wk" or "week" or "weeks" => value / 52.1775m,
                "d" or "day" or "days" => value / 365.2425m,
                _ => null,
            };
        }

        private void PruneIfEmpty(Base parent, string key, IList? list, Base node)
        {
            var empty = node switch
            {
                Extension extension => extension.Value is null && extension.Extension.Count == 0,
                PrimitiveType primitive => primitive.JsonValue is null && primitive.Extension.Count == 0,
                _ => !node.EnumerateElements().Any(),
            };
            if (empty)
            {
                Remove(parent, key, list, node);
            }
        }

        /// <summary>
        /// Removes the element; an element FHIR requires (minimum cardinality 1) is replaced by an empty one of its type
        /// carrying only the <c>data-absent-reason</c> extension <c>masked</c>, so that the output stays valid FHIR.
        /// </summary>
        private static void Remove(Base parent, string key, IList? list, Base node)
        {
            if (list is not null)
            {
                for (var i = 0; i < list.Count; i++)
                {
                    if (ReferenceEquals(list[i], node))
                    {
                        list.RemoveAt(i);
                        if (list.Count == 0 && IsMandatory(parent, key) && Masked(node) is { } placeholder)
                        {
                            list.Add(placeholder);
                        }

                        return;
                    }
                }

                return;
            }

            parent.SetValue(key, IsMandatory(parent, key) ? Masked(node) : null);
        }

        private static bool IsMandatory(Base parent, string key) =>
            parent is not Resource { TypeName: "Bundle" }
            && ModelInfo.ModelInspector.FindOrImportClassMapping(parent.GetType())?.FindMappedElementByName(key)?.IsMandatoryElement == true;

        private static Base? Masked(Base node)
        {
            if (node is Resource || Activator.CreateInstance(node.GetType()) is not Element placeholder)
            {
                return null;
            }

            placeholder.Extension.Add(new Extension(DataAbsentReasonUrl, new Code("masked")));
            return placeholder;
        }

        private static void Replace(Base parent, string key, IList? list, Base node, Base replacement)
        {
            if (list is not null)
            {
                for (var i = 0; i < list.Count; i++)
                {
                    if (ReferenceEquals(list[i], node))
                    {
                        list[i] = replacement;
                        return;
                    }
                }

                return;
            }

            parent.SetValue(key, replacement);
        }

        private void Count(CompiledRule rule, DeidentificationAction action, string path)
        {
            var k = (rule.Rule.DisplayName, action, path);
            Counts[k] = Counts.GetValueOrDefault(k) + 1;
            labels.Add(action switch
            {
                DeidentificationAction.Removed or DeidentificationAction.Scrubbed => "REDACTED",
                DeidentificationAction.Generalized => "ABSTRED",
                DeidentificationAction.Shifted => "MASKED",
                _ => "PSEUDED",
            });
        }
    }
}
