using System.Text;
using HealthRecord.Sdk.Hl7V2.Parsing;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Hl7V2.Conversion;

/// <summary>TXA with its OBX content (MDM), and embedded documents (OBX of type ED or RP) in other messages.</summary>
internal sealed partial class MessageConverter
{
    private void ConvertDocument(Hl7V2Segment txa)
    {
        if (!RequirePatient())
        {
            return;
        }

        var document = new DocumentReference
        {
            Id = IdFor("DocumentReference"),
            Subject = new ResourceReference(PatientReference),
            Status = DocumentReferenceStatus.Current,
            Type = V2DataTypes.Concept(txa.Field(2), "http://terminology.hl7.org/CodeSystem/v2-0270"),
            Description = txa.Get(25),
        };
        if (txa.Field(12) is { IsEmpty: false } unique && unique.Component(1).Value is { } uniqueId)
        {
            document.MasterIdentifier = new Identifier(V2DataTypes.EntitySystem(unique, _options), uniqueId);
        }

        if (txa.Get(16) is { } fileName)
        {
            document.Identifier.Add(new Identifier { Value = fileName, Type = new CodeableConcept { Text = "Document unique file name" } });
        }

        if (txa.Field(13) is { IsEmpty: false } parent && parent.Component(1).Value is { } parentId)
        {
            document.RelatesTo.Add(new DocumentReference.RelatesToComponent
            {
                Code = DocumentRelationshipType.Replaces,
                Target = new ResourceReference { Identifier = new Identifier(null, parentId) },
            });
        }

        document.DocStatus = txa.Get(17) switch
        {
            "AU" or "LA" => CompositionStatus.Final,
            "DI" or "DO" or "IP" or "IN" or "PA" => CompositionStatus.Preliminary,
            "CA" => CompositionStatus.EnteredInError,
            _ => null,
        };
        if (txa.Get(17) == "CA" || txa.Get(19) is "OB" or "UN")
        {
            document.Status = txa.Get(19) == "OB" ? DocumentReferenceStatus.Superseded : DocumentReferenceStatus.EnteredInError;
        }

        if (V2DataTypes.Code(txa.Get(18)) is { } confidentiality)
        {
            document.SecurityLabel.Add(new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", confidentiality, confidentiality switch
            {
                "U" => "unrestricted",
                "L" => "low",
                "M" => "moderate",
                "N" => "normal",
                "R" => "restricted",
                "V" => "very restricted",
                _ => null,
            }, null));
        }

        foreach (var xcn in txa.Repetitions(9))
        {
            if (Practitioner(xcn) is { } author)
            {
                document.Author.Add(author);
            }
        }

        foreach (var xcn in txa.Repetitions(10))
        {
            document.Authenticator ??= Practitioner(xcn);
        }

        var activity = DateTimeOf(txa.Field(4).Component(1).Value, document, "TXA-4");
        document.Context = new DocumentReference.ContextComponent
        {
            Period = activity is null ? null : new Period { StartElement = activity },
        };
        if (_encounter is not null)
        {
            document.Context.Encounter.Add(Ref(_encounter));
        }

        if (Practitioner(txa.Field(5)) is { } primaryProvider)
        {
            document.Context.Related.Add(primaryProvider);
        }

        var dateText = V2DataTypes.DateTime(txa.Field(22).Component(1).Value ?? txa.Field(8).Component(1).Value ?? txa.Field(4).Component(1).Value, _options, out _);
        if (dateText is not null && dateText.Contains('T', StringComparison.Ordinal) && DateTimeOffset.TryParse(dateText, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var date))
        {
            document.Date = date;
        }

        _document = document;
        _noteTarget = null;
        Add(document, "DocumentReference");
    }

    /// <summary>An OBX of a document message: one attachment of the current DocumentReference.</summary>
    private void AddDocumentContent(Hl7V2Segment obx, string? valueType)
    {
        if (_document is null)
        {
            // An MDM without TXA, or an OBX before it: the content still becomes a document of its own.
            ConvertEmbeddedDocument(obx, valueType);
            return;
        }

        var attachment = Attachment(obx, valueType, _document);
        if (attachment is null)
        {
            return;
        }

        _document.Content.Add(new DocumentReference.ContentComponent { Attachment = attachment });
        Merge(_document, $"OBX ({valueType}) content added to the DocumentReference as an attachment");
    }

    /// <summary>An OBX of type ED or RP outside a document message: a DocumentReference of its own.</summary>
    private void ConvertEmbeddedDocument(Hl7V2Segment obx, string? valueType)
    {
        var document = new DocumentReference
        {
            Id = IdFor("DocumentReference"),
            Subject = new ResourceReference(PatientReference),
            Status = DocumentReferenceStatus.Current,
            Type = V2DataTypes.Concept(obx.Field(3)),
            DocStatus = obx.Get(11) switch
            {
                "F" or "C" or "A" => CompositionStatus.Final,
                "P" or "R" or "S" or "I" => CompositionStatus.Preliminary,
                "D" or "W" => CompositionStatus.EnteredInError,
                _ => null,
            },
        };
        var attachment = Attachment(obx, valueType, document);
        if (attachment is null)
        {
            return;
        }

        if (_encounter is not null)
        {
            document.Context = new DocumentReference.ContextComponent();
            document.Context.Encounter.Add(Ref(_encounter));
        }

        document.Content.Add(new DocumentReference.ContentComponent { Attachment = attachment });
        if (_report is not null)
        {
            _report.PresentedForm.Add((Attachment)attachment.DeepCopy());
        }

        Add(document, $"DocumentReference (embedded {valueType} document)");
    }

    private Attachment? Attachment(Hl7V2Segment obx, string? valueType, Resource owner)
    {
        var title = obx.Field(3).Component(2).Value ?? obx.Field(3).Component(1).Value;
        var value = obx.Field(5);
        var attachment = new Attachment { Title = title };
        switch (valueType)
        {
            case "ED":
                var subtype = value.Component(3).Value;
                var type = value.Component(2).Value;
                attachment.ContentType = MediaType(type, subtype);
                var encoding = value.Component(4).Value;
                var data = value.Component(5).Raw.ToString();
                if (data.Length == 0)
                {
                    Skip("OBX-5 (ED) holds no data (ED-5 is empty)");
                    return null;
                }

                if (string.Equals(encoding, "Base64", StringComparison.OrdinalIgnoreCase))
                {
                    var buffer = new byte[data.Length];
                    if (Convert.TryFromBase64String(data, buffer, out var written))
                    {
                        attachment.Data = buffer[..written];
                    }
                    else
                    {
                        Warn(owner, "OBX-5 (ED) says Base64 but its data is not valid Base64; the attachment has no data");
                    }
                }
                else if (string.Equals(encoding, "Hex", StringComparison.OrdinalIgnoreCase))
                {
                    try
                    {
                        attachment.Data = Convert.FromHexString(data);
                    }
                    catch (FormatException)
                    {
                        Warn(owner, "OBX-5 (ED) says Hex but its data is not hexadecimal; the attachment has no data");
                    }
                }
                else
                {
                    attachment.Data = Encoding.UTF8.GetBytes(value.Component(5).Value ?? string.Empty);
                }

                break;
            case "RP":
                var pointer = value.Component(1).Value;
                if (pointer is null || !Uri.IsWellFormedUriString(pointer, UriKind.Absolute))
                {
                    Skip(pointer is null ? "OBX-5 (RP) holds no pointer" : "OBX-5 (RP) pointer is not an absolute URL");
                    return null;
                }

                attachment.Url = pointer;
                attachment.ContentType = MediaType(value.Component(3).Value, value.Component(4).Value);
                break;
            case "FT":
                // Formatted text keeps its HL7 formatting commands, as text/x-hl7-ft says.
                attachment.ContentType = "text/x-hl7-ft";
                attachment.Data = Encoding.UTF8.GetBytes(string.Join(obx.Delimiters.Repetition, Enumerable.Range(1, obx.RepetitionCount(5)).Select(r => obx.Field(5, r).Raw.ToString())));
                break;
            default:
                var text = JoinRepetitions(obx);
                if (text.Length == 0)
                {
                    Skip("OBX-5 (document content) is empty");
                    return null;
                }

                attachment.ContentType = "text/plain";
                attachment.Data = Encoding.UTF8.GetBytes(text);
                break;
        }

        return attachment;
    }

    private static string? MediaType(string? type, string? subtype)
    {
        var major = type?.ToUpperInvariant() switch
        {
            "AP" or "APPLICATION" => "application",
            "IM" or "IMAGE" => "image",
            "TEXT" or "TX" => "text",
            "AU" or "AUDIO" => "audio",
            "VIDEO" => "video",
            "MULTIPART" => "multipart",
            _ => null,
        };
        var sub = V2DataTypes.Code(subtype)?.Replace(' ', '-');
        if (sub is null)
        {
            return major is null ? null : major + "/octet-stream";
        }

        return (major ?? "application") + "/" + sub.ToLowerInvariant();
    }
}
