using System.Security;
using System.Security.Cryptography;
using System.Xml.Linq;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Ccda;

/// <summary>Converts one loaded C-CDA document (header, body, document resources) into FHIR R4 resources.</summary>
internal sealed partial class DocumentConverter
{
    private readonly List<ResourceReference> _authors = [];
    private readonly List<CcdaSectionReport> _sections = [];
    private readonly List<Composition.SectionComponent> _compositionSections = [];

    public void Convert(ReadOnlyMemory<byte> content)
    {
        ConvertPatient();
        foreach (var author in _root.Es("author"))
        {
            if (PractitionerRef(author.E("assignedAuthor")) is { } reference && !_authors.Any(a => a.Reference == reference.Reference))
            {
                _authors.Add(reference);
            }
        }

        var custodian = OrganizationRef(_root.E("custodian").E("assignedCustodian").E("representedCustodianOrganization"));
        var legal = _root.E("legalAuthenticator");
        var legalAuthenticator = PractitionerRef(legal.E("assignedEntity"));
        foreach (var authenticator in _root.Es("authenticator"))
        {
            PractitionerRef(authenticator.E("assignedEntity"));
        }

        ConvertEncompassingEncounter();
        ConvertCareTeams();

        var body = _root.E("component");
        if (body.E("structuredBody") is { } structured)
        {
            foreach (var section in structured.Es("component").Select(c => c.E("section")).OfType<XElement>())
            {
                if (ConvertSection(section) is { } compositionSection)
                {
                    _compositionSections.Add(compositionSection);
                }
            }
        }

        AddDocumentResources(content, custodian, legal, legalAuthenticator, body.E("nonXMLBody"));
    }

    public IReadOnlyList<CcdaSectionReport> Sections => _sections;

    private Composition.SectionComponent? ConvertSection(XElement section)
    {
        var kind = SectionKind.Of(section);
        var entries = section.Es("entry").ToList();
        var converted = 0;
        var skipped = 0;
        var component = new Composition.SectionComponent
        {
            Title = Cda.Clean(section.E("title")?.Value),
            Code = _ctx.Concept(section.E("code")),
        };
        if (Cda.Clean(section.E("text")?.Value) is { } narrative)
        {
            component.Text = new Narrative
            {
                Status = Narrative.NarrativeStatus.Additional,
                Div = "<div xmlns=\"http://www.w3.org/1999/xhtml\">" + SecurityElement.Escape(narrative) + "</div>",
            };
        }

        foreach (var entry in entries)
        {
            var before = _ctx.Resources.Count;
            var skipsBefore = _ctx.NotConverted.Count;
            var ok = ConvertEntry(entry, kind);
            if (ok && _ctx.Resources.Count > before || ok && _birthSexSet)
            {
                converted++;
                foreach (var (resource, _) in _ctx.Resources.Skip(before))
                {
                    if (resource is not (Hl7.Fhir.Model.Practitioner or Hl7.Fhir.Model.Organization or Hl7.Fhir.Model.Location))
                    {
                        component.Entry.Add(ConversionContext.Ref(resource));
                    }
                }
            }
            else
            {
                skipped++;
                if (_ctx.NotConverted.Count == skipsBefore)
                {
                    _ctx.Skip(entry, kind, "The entry holds nothing that could be converted.");
                }
            }

            _birthSexSet = false;
        }

        _sections.Add(new CcdaSectionReport(kind, section.TemplateIds().FirstOrDefault(), section.E("code").A("code"), component.Title, section.XPath(), entries.Count, converted, skipped));
        foreach (var nested in section.Es("component").Select(c => c.E("section")).OfType<XElement>())
        {
            if (ConvertSection(nested) is { } child)
            {
                component.Section.Add(child);
            }
        }

        if (component.Entry.Count == 0 && component.Text is null && component.Section.Count == 0)
        {
            component.EmptyReason = ConversionContext.Coded("http://terminology.hl7.org/CodeSystem/list-empty-reason", "unavailable", "Unavailable");
        }

        return component;
    }

    private void AddDocumentResources(ReadOnlyMemory<byte> content, ResourceReference? custodian, XElement? legal, ResourceReference? legalAuthenticator, XElement? nonXmlBody)
    {
        var type = _ctx.RequiredConcept(_root.E("code"), Cda.Clean(_root.E("title")?.Value));
        var title = Cda.Clean(_root.E("title")?.Value) ?? type.Text ?? type.Coding.FirstOrDefault()?.Display ?? "Clinical document";
        var effective = _ctx.DateTimeString(_root.E("effectiveTime"));
        var relatesTo = _root.Es("relatedDocument").Select(r => (
            Code: r.A("typeCode") switch { "RPLC" => DocumentRelationshipType.Replaces, "APND" => DocumentRelationshipType.Appends, "XFRM" => DocumentRelationshipType.Transforms, _ => (DocumentRelationshipType?)null },
            Target: _ctx.Identifiers(r.E("parentDocument").Es("id")).FirstOrDefault(),
            Element: r)).ToList();
        foreach (var related in relatesTo.Where(r => r.Code is null || r.Target is null))
        {
            _ctx.Skip(related.Element, "Header", "The relatedDocument has no known typeCode (RPLC, APND, XFRM) or no parent document id.");
        }

        var documentIdentifier = _ctx.Identifiers(_root.Es("id")).FirstOrDefault();
        var reference = new DocumentReference
        {
            MasterIdentifier = documentIdentifier,
            Identifier = _ctx.Identifiers(_root.Es("setId")),
            Status = DocumentReferenceStatus.Current,
            Type = type,
            Subject = _ctx.PatientReference,
            Author = [.. _authors],
            Authenticator = legalAuthenticator,
            Custodian = custodian,
            Description = title,
        };
        reference.Category.Add(ConversionContext.Coded("http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category", "clinical-note", "Clinical Note"));
        if (effective is { Length: > 10 })
        {
            reference.DateElement = new Instant(DateTimeOffset.Parse(effective, System.Globalization.CultureInfo.InvariantCulture));
        }

        foreach (var (code, target, _) in relatesTo.Where(r => r.Code is not null && r.Target is not null))
        {
            reference.RelatesTo.Add(new DocumentReference.RelatesToComponent { Code = code!.Value, Target = new ResourceReference { Identifier = target } });
        }

        if (_ctx.Concept(_root.E("confidentialityCode")) is { } confidentiality)
        {
            reference.SecurityLabel.Add(confidentiality);
        }

        var attachment = new Attachment
        {
            ContentType = "application/hl7-cda+xml",
            Language = _root.E("languageCode").A("code"),
            Hash = SHA1.HashData(content.Span),
            Title = title,
            CreationElement = effective is null ? null : new FhirDateTime(effective),
        };
        var format = nonXmlBody is null ? "urn:hl7-org:sdwg:ccda-structuredBody:2.1" : "urn:hl7-org:sdwg:ccda-nonXMLBody:2.1";
        reference.Content.Add(new DocumentReference.ContentComponent
        {
            Attachment = attachment,
            Format = new Coding("http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode", format),
        });
        if (nonXmlBody?.E("text") is { } embedded)
        {
            reference.Content.Add(new DocumentReference.ContentComponent { Attachment = EmbeddedAttachment(embedded, title) });
        }

        var context = new DocumentReference.ContextComponent { Period = _ctx.PeriodOf(_root.E("documentationOf").E("serviceEvent").E("effectiveTime")) };
        if (_ctx.EncounterReference is { } encounter)
        {
            context.Encounter.Add(encounter);
        }

        if (context.Period is not null || context.Encounter.Count > 0)
        {
            reference.Context = context;
        }

        _ctx.Add(reference, _root, "DocumentReference");

        if (nonXmlBody is not null)
        {
            return;
        }

        var composition = new Composition
        {
            Identifier = documentIdentifier,
            Status = CompositionStatus.Final,
            Type = type,
            Subject = _ctx.PatientReference,
            Encounter = _ctx.EncounterReference,
            Title = title,
            Custodian = custodian,
            Author = [.. _authors],
            DateElement = effective is null ? DateAbsent() : new FhirDateTime(effective),
            Section = _compositionSections,
        };
        if (composition.Author.Count == 0 && custodian is not null)
        {
            composition.Author.Add(custodian);
        }

        if (_root.E("confidentialityCode").A("code") is { } confidentialityCode && Enum.TryParse<Composition.V3ConfidentialityClassification>(confidentialityCode, out var classification))
        {
            composition.Confidentiality = classification;
        }

        if (legalAuthenticator is not null)
        {
            composition.Attester.Add(new Composition.AttesterComponent
            {
                Mode = Composition.CompositionAttestationMode.Legal,
                TimeElement = _ctx.DateTimeOf(legal.E("time")),
                Party = legalAuthenticator,
            });
        }

        foreach (var (code, target, _) in relatesTo.Where(r => r.Code is not null && r.Target is not null))
        {
            composition.RelatesTo.Add(new Composition.RelatesToComponent { Code = code!.Value, Target = target! });
        }

        if (composition.Author.Count == 0)
        {
            _ctx.Skip(_root, "Header", "The document names no usable author or custodian, which a FHIR Composition requires; only its DocumentReference was made.");
            return;
        }

        _ctx.Add(composition, _root, "Composition");
    }

    private Attachment EmbeddedAttachment(XElement text, string title)
    {
        var attachment = new Attachment { ContentType = text.A("mediaType") ?? "text/plain", Title = title };
        if (string.Equals(text.A("representation"), "B64", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                attachment.Data = System.Convert.FromBase64String(string.Concat(text.Nodes().OfType<XText>().Select(t => t.Value)).Trim());
            }
            catch (FormatException)
            {
                _ctx.Warn(text, "The embedded attachment is not valid base64; it was not kept.");
            }
        }
        else if (_ctx.Text(text) is { } plain)
        {
            attachment.Data = System.Text.Encoding.UTF8.GetBytes(plain);
        }
        else if (text.E("reference")?.A("value") is { } url)
        {
            attachment.Url = url;
        }

        return attachment;
    }

    private static FhirDateTime DateAbsent()
    {
        var element = new FhirDateTime();
        element.Extension.Add(new Extension("http://hl7.org/fhir/StructureDefinition/data-absent-reason", new Code("unknown")));
        return element;
    }
}
