using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Fhir;

/// <summary>
/// A hash of a record's clinical content that two copies of the same fact share even when their
/// sources gave them different ids, metadata, narrative or reference targets.
/// </summary>
/// <remarks>
/// Ignored: <c>id</c>, <c>meta</c>, <c>text</c> (narrative is a rendering, not a fact) and the target
/// of each reference (sources name the same patient or encounter differently); a reference counts
/// by its target's type, its identifier and nothing else. Everything else, extensions included, counts.
/// Thread-safe.
/// </remarks>
public static class ContentFingerprint
{
    // One buffer per thread, reused: fingerprints are computed for many records in a row.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    /// <summary>Computes the fingerprint.</summary>
    /// <param name="resource">The resource.</param>
    /// <param name="referenceType">Maps a reference to its target's resource type when the reference text does not say it.</param>
    /// <returns>A 32-character hex string.</returns>
    public static string Compute(Resource resource, Func<ResourceReference, string?>? referenceType = null)
    {
        ArgumentNullException.ThrowIfNull(resource);
        // The content is written to one buffer and hashed once: hashing each small string on its own
        // costs a native call per string. The bytes (and so the fingerprint) are the same either way.
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        var writer = new Writer(buffer, referenceType);
        writer.Append(resource.TypeName);
        foreach (var child in resource.EnumerateElements())
        {
            if (child.Key is "id" or "meta" or "text")
            {
                continue;
            }

            writer.Element(child.Key, child.Value);
        }

        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(buffer.WrittenSpan, digest);
        if (buffer.Capacity > 1 << 20)
        {
            t_buffer = null; // a huge record does not pin its buffer to the thread
        }

        return Convert.ToHexStringLower(digest[..16]);
    }

    private readonly struct Writer(ArrayBufferWriter<byte> buffer, Func<ResourceReference, string?>? referenceType)
    {
        public void Append(string text)
        {
            var span = buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length) + 1);
            var written = Encoding.UTF8.GetBytes(text, span);
            span[written] = 0;
            buffer.Advance(written + 1);
        }

        public void Element(string name, object? value)
        {
            switch (value)
            {
                case null:
                    return;
                case ResourceReference reference:
                    Append(name);
                    Append("ref");
                    Append(reference.Type ?? TargetType(reference) ?? "");
                    if (reference.Identifier is { } id)
                    {
                        Append(id.System ?? "");
                        Append(id.Value ?? "");
                    }

                    return;
                case Narrative:
                    return;
                case PrimitiveType primitive:
                    Append(name);
                    Append(primitive.ToString() ?? "");

                    // Most primitives have neither id nor extensions; enumerating them anyway costs an allocation each.
                    if (primitive.ElementId is not null || primitive.TryGetValue("extension", out _))
                    {
                        foreach (var child in primitive.EnumerateElements())
                        {
                            Element(child.Key, child.Value);
                        }
                    }

                    return;
                case Base b:
                    Append(name);
                    Append("{");
                    foreach (var child in b.EnumerateElements())
                    {
                        Element(child.Key, child.Value);
                    }

                    Append("}");
                    return;
                case System.Collections.IEnumerable list and not string:
                    foreach (var item in list)
                    {
                        Element(name, item);
                    }

                    return;
                default:
                    Append(name);
                    Append(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "");
                    return;
            }
        }

        private string? TargetType(ResourceReference reference)
        {
            if (referenceType?.Invoke(reference) is { } t)
            {
                return t;
            }

            return reference.Reference is { } r && ResourceReferences.TryParseTypeAndId(r, out var type, out _) ? type : null;
        }
    }
}
