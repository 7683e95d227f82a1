using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace HealthRecord.Sdk.Fhir;

/// <summary>
/// The FHIR R4 JSON serializer and deserializer the SDK uses everywhere, configured once
/// so that every output of the SDK serialises identically (byte for byte) for the same content.
/// </summary>
/// <remarks>Both instances are thread-safe and reused.</remarks>
public static class FhirJson
{
    /// <summary>The strict default deserializer: it validates each element while it reads.</summary>
    public static FhirJsonDeserializer Deserializer { get; } = new(new DeserializerSettings { PrimitiveValueConverter = NoticeMistyped });

    /// <summary>
    /// A deserializer that checks structure (unknown elements and types, JSON shapes) but not each value
    /// against its FHIR rules: about half the cost of <see cref="Deserializer"/>. The SDK's record validators
    /// then check what an EHR needs.
    /// </summary>
    public static FhirJsonDeserializer StructuralDeserializer { get; } = new(new DeserializerSettings { Validator = null, PrimitiveValueConverter = NoticeMistyped });

    // Converts nothing: tells the SDK's reader that a resource holds a value of the wrong JSON type (see MistypedValues).
    private static object? NoticeMistyped(object value, Type targetType, Hl7.Fhir.Introspection.ClassMapping primitiveMapping) => MistypedValues.Notice(value, targetType);

    /// <summary>The serializer; its output is compact JSON in FHIR element order.</summary>
    public static FhirJsonSerializer Serializer { get; } = new();

    /// <summary>Serialises a resource to compact JSON.</summary>
    /// <param name="resource">The resource.</param>
    /// <param name="pretty">Whether to indent.</param>
    /// <returns>The JSON text.</returns>
    public static string Serialize(Base resource, bool pretty = false)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return Serializer.SerializeToString(resource, pretty);
    }

    /// <summary>Serialises a resource to UTF-8 bytes.</summary>
    /// <param name="resource">The resource.</param>
    /// <param name="pretty">Whether to indent.</param>
    /// <returns>The JSON bytes.</returns>
    public static byte[] SerializeToUtf8(Base resource, bool pretty = false)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return Serializer.SerializeToBytes(resource, pretty);
    }

    /// <summary>Parses a resource from JSON text.</summary>
    /// <param name="json">The JSON.</param>
    /// <returns>The resource.</returns>
    /// <exception cref="DeserializationFailedException">The JSON is not a valid FHIR R4 resource.</exception>
    public static Resource Parse(string json) => Deserializer.DeserializeResource(json);

    /// <summary>Parses a resource of a known type from JSON text.</summary>
    /// <typeparam name="T">The resource type.</typeparam>
    /// <param name="json">The JSON.</param>
    /// <returns>The resource.</returns>
    public static T Parse<T>(string json)
        where T : Resource => Deserializer.Deserialize<T>(json);
}
