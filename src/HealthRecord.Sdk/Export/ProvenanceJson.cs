using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;

namespace HealthRecord.Sdk.Export;

/// <summary>
/// Writes the Provenance resources the SDK makes (<see cref="Model.EhrProvenance.ToResource()"/>) as FHIR JSON without
/// Firely's generic walk. They are half of an EHR's entries and of its bytes, and always have the same few elements;
/// Firely's serializer visits every element through its model metadata, allocating as it goes. The bytes are Firely's
/// (the exporter tests compare them); a Provenance the SDK did not make, or one with anything this writer does not know,
/// goes to Firely instead.
/// </summary>
internal static class ProvenanceJson
{
    /// <summary>Marks a Provenance made by <see cref="Model.EhrProvenance"/> (annotations are never serialized).</summary>
    internal sealed class MadeBySdk
    {
        public static readonly MadeBySdk Instance = new();

        private MadeBySdk()
        {
        }
    }

    /// <summary>Writes the Provenance when the SDK made it and it has only the elements written here; else writes nothing.</summary>
    /// <returns>Whether it was written.</returns>
    public static bool TryWrite(Provenance provenance, Utf8JsonWriter json)
    {
        if (!provenance.HasAnnotation<MadeBySdk>() || !IsKnownShape(provenance))
        {
            return false;
        }

        // FHIR R4 element order: resourceType, id, target, recorded, policy, activity, agent, entity.
        json.WriteStartObject();
        json.WriteString("resourceType"u8, "Provenance"u8);
        json.WriteString("id"u8, Text(provenance.IdElement!));
        json.WriteStartArray("target"u8);
        foreach (var target in provenance.Target)
        {
            WriteReference(target, json);
        }

        json.WriteEndArray();
        json.WriteString("recorded"u8, Text(provenance.RecordedElement));
        json.WriteStartArray("policy"u8);
        foreach (var policy in provenance.PolicyElement)
        {
            json.WriteStringValue(Text(policy));
        }

        json.WriteEndArray();
        if (provenance.Activity is { } activity)
        {
            json.WritePropertyName("activity"u8);
            WriteConcept(activity, json);
        }

        json.WriteStartArray("agent"u8);
        foreach (var agent in provenance.Agent)
        {
            json.WriteStartObject();
            if (agent.Type is { } type)
            {
                json.WritePropertyName("type"u8);
                WriteConcept(type, json);
            }

            json.WritePropertyName("who"u8);
            WriteReference(agent.Who, json);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        if (provenance.Entity.Count > 0)
        {
            json.WriteStartArray("entity"u8);
            foreach (var entity in provenance.Entity)
            {
                json.WriteStartObject();
                json.WriteString("role"u8, Text(entity.RoleElement));
                json.WritePropertyName("what"u8);
                WriteReference(entity.What, json);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
        return true;
    }

    // What ToResource makes: target (one or more plain references), recorded, policy, activity, one agent or more
    // (type and who), entities (role and what). Anything else, or any id or extension on an element, is for Firely.
    private static bool IsKnownShape(Provenance p) =>
        IsValue(p.IdElement) && p.Meta is null && p.ImplicitRulesElement is null && p.LanguageElement is null && p.Text is null
        && p.Contained.Count == 0 && p.Extension.Count == 0 && p.ModifierExtension.Count == 0
        && p.Target.Count > 0 && p.Target.TrueForAll(IsReference)
        && p.Occurred is null && IsValue(p.RecordedElement)
        && p.PolicyElement.Count > 0 && p.PolicyElement.TrueForAll(IsValue)
        && p.Location is null && p.Reason.Count == 0 && (p.Activity is null || IsConcept(p.Activity))
        && p.Agent.Count > 0 && p.Agent.TrueForAll(IsAgent)
        && p.Entity.TrueForAll(IsEntity) && p.Signature.Count == 0;

    private static bool IsAgent(Provenance.AgentComponent a) =>
        IsPlain(a) && a.ModifierExtension.Count == 0 && (a.Type is null || IsConcept(a.Type)) && a.Role.Count == 0
        && a.Who is not null && IsReference(a.Who) && a.OnBehalfOf is null;

    private static bool IsEntity(Provenance.EntityComponent e) =>
        IsPlain(e) && e.ModifierExtension.Count == 0 && IsValue(e.RoleElement) && e.What is not null && IsReference(e.What) && e.Agent.Count == 0;

    private static bool IsReference(ResourceReference r) =>
        IsPlain(r) && IsOptionalValue(r.ReferenceElement) && IsOptionalValue(r.TypeElement) && IsOptionalValue(r.DisplayElement)
        && (r.Identifier is null || IsIdentifier(r.Identifier))
        && (r.ReferenceElement is not null || r.TypeElement is not null || r.DisplayElement is not null || r.Identifier is not null);

    private static bool IsIdentifier(Identifier i) =>
        IsPlain(i) && i.UseElement is null && i.Type is null && i.Period is null && i.Assigner is null
        && IsOptionalValue(i.SystemElement) && IsOptionalValue(i.ValueElement) && (i.SystemElement is not null || i.ValueElement is not null);

    private static bool IsConcept(CodeableConcept c) =>
        IsPlain(c) && c.Coding.TrueForAll(IsCoding) && IsOptionalValue(c.TextElement) && (c.Coding.Count > 0 || c.TextElement is not null);

    private static bool IsCoding(Coding c) =>
        IsPlain(c) && c.VersionElement is null && c.UserSelectedElement is null
        && IsOptionalValue(c.SystemElement) && IsOptionalValue(c.CodeElement) && IsOptionalValue(c.DisplayElement)
        && (c.SystemElement is not null || c.CodeElement is not null || c.DisplayElement is not null);

    private static bool IsPlain(Element e) => e.ElementId is null && e.Extension.Count == 0;

    // A primitive Firely writes as one JSON string (not a number or boolean), with no id and no extensions.
    private static bool IsValue(PrimitiveType? p) =>
        p is not null && IsPlain(p) && p.JsonValue is not (null or int or long or decimal or bool) && !string.IsNullOrWhiteSpace(Text(p));

    private static bool IsOptionalValue(PrimitiveType? p) => p is null || IsValue(p);

    // As Firely's SerializePrimitiveValue: strings as they are, other values (instants, codes) through its converter.
    private static string Text(PrimitiveType p) => p.JsonValue switch
    {
        string s => s,
        var v => Hl7.Fhir.Serialization.PrimitiveTypeConverter.ConvertTo<string>(v!),
    };

    private static void WriteReference(ResourceReference r, Utf8JsonWriter json)
    {
        json.WriteStartObject();
        WriteOptional("reference"u8, r.ReferenceElement, json);
        WriteOptional("type"u8, r.TypeElement, json);
        if (r.Identifier is { } identifier)
        {
            json.WriteStartObject("identifier"u8);
            WriteOptional("system"u8, identifier.SystemElement, json);
            WriteOptional("value"u8, identifier.ValueElement, json);
            json.WriteEndObject();
        }

        WriteOptional("display"u8, r.DisplayElement, json);
        json.WriteEndObject();
    }

    private static void WriteConcept(CodeableConcept c, Utf8JsonWriter json)
    {
        json.WriteStartObject();
        if (c.Coding.Count > 0)
        {
            json.WriteStartArray("coding"u8);
            foreach (var coding in c.Coding)
            {
                json.WriteStartObject();
                WriteOptional("system"u8, coding.SystemElement, json);
                WriteOptional("code"u8, coding.CodeElement, json);
                WriteOptional("display"u8, coding.DisplayElement, json);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        WriteOptional("text"u8, c.TextElement, json);
        json.WriteEndObject();
    }

    private static void WriteOptional(ReadOnlySpan<byte> name, PrimitiveType? value, Utf8JsonWriter json)
    {
        if (value is not null)
        {
            json.WriteString(name, Text(value));
        }
    }
}
