using System.Security.Cryptography;
using System.Text;

namespace HealthRecord.Sdk.Model;

/// <summary>
/// Deterministic ids for EHR records: a name-based UUID (RFC 9562 version 8, from SHA-256) of what
/// identifies the record, so the same inputs always give the same ids, whatever their order.
/// </summary>
public static class EhrIds
{
    // One SHA-256 context per thread, reset after each id: an EHR build makes two ids per record, and
    // creating a context per call costs more than the hashing.
    [ThreadStatic]
    private static IncrementalHash? t_hash;

    /// <summary>The identifier system of person ids.</summary>
    public const string PersonSystem = "urn:healthrecord-sdk:person";

    /// <summary>The identifier system prefix for source record identities (<c>urn:healthrecord-sdk:source:{name}</c>).</summary>
    public const string SourceSystemPrefix = "urn:healthrecord-sdk:source:";

    /// <summary>A UUID derived from the parts.</summary>
    /// <param name="parts">What identifies the thing; joined with a separator that cannot occur in them.</param>
    /// <returns>A lowercase UUID string.</returns>
    public static string From(params string[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        // The parts joined by U+001F, encoded once into a stack buffer when small (ids are made for every record).
        var length = Math.Max(0, parts.Length - 1);
        foreach (var part in parts)
        {
            length += Encoding.UTF8.GetMaxByteCount(part?.Length ?? 0);
        }

        var buffer = length <= 1024 ? stackalloc byte[length] : new byte[length];
        var written = 0;
        for (var i = 0; i < parts.Length; i++)
        {
            if (i > 0)
            {
                buffer[written++] = 0x1F;
            }

            written += Encoding.UTF8.GetBytes(parts[i] ?? "", buffer[written..]);
        }

        Span<byte> digest = stackalloc byte[32];
        var hash = t_hash ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(buffer[..written]);
        hash.GetHashAndReset(digest);
        var bytes = digest[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8 (custom, name-based)
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(bytes, bigEndian: true).ToString("D");
    }

    /// <summary>The bundle <c>fullUrl</c> of an EHR resource id.</summary>
    /// <param name="id">The id.</param>
    /// <returns><c>urn:uuid:{id}</c>.</returns>
    public static string FullUrl(string id) => "urn:uuid:" + id;
}
