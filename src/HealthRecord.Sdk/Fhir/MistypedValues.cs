using System.Collections;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Fhir;

/// <summary>
/// Finds primitive values of the wrong JSON type (<c>"onsetDateTime": 2020</c>, <c>"text": true</c>) and drops them.
/// </summary>
/// <remarks>
/// Firely's deserializers keep such a value in the element (the structural one silently, the validating one in its
/// partial result), and the element's typed getter throws the first time any stage reads it, which would stop a whole
/// run. Dropping the value at read time loses only that element, and the record carries a warning that says which.
/// </remarks>
internal static class MistypedValues
{
    // Set by Notice on the deserialising thread; a deserialisation runs synchronously on one thread.
    [ThreadStatic]
    private static bool t_seen;

    /// <summary>
    /// The SDK deserializers' <see cref="Hl7.Fhir.Serialization.DeserializerSettings.PrimitiveValueConverter"/>: Firely offers it
    /// every primitive value that is not of the .NET type its primitive stores (and every date/time/integer64 string). It changes
    /// nothing; it notes that a mistyped value was met, so the walk of <see cref="Drop"/> runs only for the rare resource that has one
    /// (walking every resource cost ~190 MB of path strings and element dictionaries over a 27 MB population).
    /// </summary>
    public static object? Notice(object value, Type targetType)
    {
        if (!(targetType == typeof(string) ? value is string : value.GetType() == targetType))
        {
            t_seen = true;
        }

        return value;
    }

    /// <summary>Forgets what <see cref="Notice"/> saw on this thread; call right before a deserialisation.</summary>
    public static void StartWatching() => t_seen = false;

    /// <summary>Whether the deserialisations on this thread since <see cref="StartWatching"/> met a mistyped value.</summary>
    public static bool Seen => t_seen;

    /// <summary>Drops every mistyped primitive value in a resource (contained resources included).</summary>
    /// <param name="resource">The resource, changed in place.</param>
    /// <returns>One warning per dropped value; empty when every value has its type.</returns>
    public static List<string> Drop(Resource resource)
    {
        var warnings = new List<string>();
        Walk(resource, resource.TypeName, warnings);
        return warnings;
    }

    private static void Walk(Base element, string path, List<string> warnings)
    {
        foreach (var (name, value) in element.EnumerateElements())
        {
            switch (value)
            {
                case PrimitiveType primitive:
                    Check(primitive, path + "." + name, warnings);
                    Walk(primitive, path + "." + name, warnings);
                    break;
                case Base child:
                    Walk(child, path + "." + name, warnings);
                    break;
                case IEnumerable list and not string:
                    foreach (var item in list)
                    {
                        if (item is PrimitiveType p)
                        {
                            Check(p, path + "." + name, warnings);
                        }

                        if (item is Base b)
                        {
                            Walk(b, path + "." + name, warnings);
                        }
                    }

                    break;
            }
        }
    }

    private static void Check(PrimitiveType primitive, string path, List<string> warnings)
    {
        if (primitive.JsonValue is not { } value || Fits(primitive, value))
        {
            return;
        }

        warnings.Add($"{path}: a JSON {JsonKind(value)} where a {primitive.TypeName} belongs; the value was dropped.");
        primitive.JsonValue = null;
    }

    private static bool Fits(PrimitiveType primitive, object value) => primitive switch
    {
        FhirBoolean => value is bool,
        Integer or PositiveInt or UnsignedInt => value is int,
        FhirDecimal => value is decimal,
        _ => value is string, // integer64, base64Binary and instant too: their JSON values are strings
    };

    private static string JsonKind(object value) => value switch
    {
        bool => "boolean",
        string => "string",
        int or long or decimal or double => "number",
        _ => "value",
    };
}
