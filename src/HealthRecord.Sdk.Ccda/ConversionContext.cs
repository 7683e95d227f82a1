using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using HealthRecord.Sdk.Model;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Ccda;

/// <summary>The state of one document's conversion: resources made so far, ids used, report lines.</summary>
internal sealed partial class ConversionContext
{
    private readonly Dictionary<string, XElement> _narrative = new(StringComparer.Ordinal);
    private readonly HashSet<string> _usedIds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ResourceReference> _shared = new(StringComparer.Ordinal);

    public ConversionContext(XDocument document, CcdaOptions options, string documentKey)
    {
        Document = document;
        Options = options;
        DocumentKey = documentKey;
        foreach (var element in document.Descendants())
        {
            if (element.Attribute("ID")?.Value is { Length: > 0 } id)
            {
                _narrative.TryAdd(id, element);
            }
        }
    }

    public XDocument Document { get; }

    public CcdaOptions Options { get; }

    /// <summary>The document identity (ClinicalDocument/id or a content hash).</summary>
    public string DocumentKey { get; }

    /// <summary>The person key ids are scoped to (with the document), so that two people's records never share an id.</summary>
    public string PersonKey { get; set; } = "";

    public List<(Resource Resource, string XPath)> Resources { get; } = [];

    public List<CcdaConversionWarning> Warnings { get; } = [];

    public List<CcdaNotConvertedEntry> NotConverted { get; } = [];

    public ResourceReference PatientReference { get; set; } = new();

    public Patient? Patient { get; set; }

    public ResourceReference? EncounterReference { get; set; }

    public void Warn(XElement at, string message) => Warnings.Add(new CcdaConversionWarning(at.XPath(), message));

    public void Skip(XElement at, string section, string reason) => NotConverted.Add(new CcdaNotConvertedEntry(at.XPath(), section, reason));

    /// <summary>Adds a resource made from an element, giving it a deterministic id.</summary>
    public T Add<T>(T resource, XElement source, string? discriminator = null)
        where T : Resource
    {
        resource.Id = NewId(resource.TypeName, source, discriminator);
        Resources.Add((resource, source.XPath()));
        return resource;
    }

    /// <summary>A concept of one coding (with its display).</summary>
    public static CodeableConcept Coded(string system, string code, string? display = null) => new() { Coding = [new Coding(system, code, display)] };

    /// <summary>A reference to a resource already added.</summary>
    public static ResourceReference Ref(Resource resource, string? display = null) => new($"{resource.TypeName}/{resource.Id}", display);

    /// <summary>
    /// Adds a resource shared by many entries (a practitioner, an organization, a location) once, keyed by
    /// what identifies it; later calls with the same key return the first reference.
    /// </summary>
    public ResourceReference Shared(string type, string key, XElement source, Func<Resource> create)
    {
        var full = type + "|" + key;
        if (_shared.TryGetValue(full, out var existing))
        {
            return existing;
        }

        var resource = create();
        resource.Id = UniqueId(EhrIds.From("ccda", type, DocumentKey, key), source);
        Resources.Add((resource, source.XPath()));
        var reference = Ref(resource);
        _shared[full] = reference;
        return reference;
    }

    private string NewId(string type, XElement source, string? discriminator)
    {
        var key = IdKey(source);
        // Ids are scoped to the document (and person): the pipeline needs Type/id to be unique within a source, and
        // several documents of one patient (successive CCDs repeating the same entry ids) often share a source.
        // The same document always gives the same ids; duplicates across documents are merged by deduplication.
        var candidate = key is not null
            ? EhrIds.From("ccda", type, PersonKey, DocumentKey, key, discriminator ?? "")
            : EhrIds.From("ccda", type, PersonKey, DocumentKey, ContentHash(source), discriminator ?? "");
        return UniqueId(candidate, source);
    }

    private string UniqueId(string candidate, XElement source)
    {
        if (_usedIds.Add(candidate))
        {
            return candidate;
        }

        // Vendors reuse one id for several entries; the position keeps the ids apart, deterministically.
        var positional = EhrIds.From(candidate, source.XPath());
        for (var i = 2; !_usedIds.Add(positional); i++)
        {
            positional = EhrIds.From(candidate, source.XPath(), i.ToString(CultureInfo.InvariantCulture));
        }

        return positional;
    }

    /// <summary>The element's first usable id as <c>root^extension</c>.</summary>
    public static string? IdKey(XElement element)
    {
        foreach (var id in element.Es("id"))
        {
            if (id.NullFlavor() is null && id.A("root") is { } root)
            {
                return id.A("extension") is { } ext ? root + "^" + ext : root;
            }
        }

        return null;
    }

    public static string ContentHash(XElement element)
    {
        var text = element.ToString(SaveOptions.DisableFormatting);
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), digest);
        return Convert.ToHexStringLower(digest[..16]);
    }

    /// <summary>The narrative text an ED/ST/originalText points at (<c>reference/@value="#id"</c>), or its own text.</summary>
    public string? Text(XElement? element)
    {
        if (element is null)
        {
            return null;
        }

        var reference = element.E("reference")?.A("value");
        if (reference is { Length: > 1 } && reference[0] == '#' && _narrative.TryGetValue(reference[1..], out var target))
        {
            return Cda.Clean(target.Value);
        }

        var own = string.Concat(element.Nodes().OfType<XText>().Select(t => t.Value));
        return Cda.Clean(own);
    }

    /// <summary>Whether a reference points at narrative that exists.</summary>
    public bool ResolvesNarrative(string reference) => reference.Length > 1 && reference[0] == '#' && _narrative.ContainsKey(reference[1..]);
}
