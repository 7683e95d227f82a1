using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace HealthRecord.Sdk.Deidentification;

/// <summary>Keyed HMAC-SHA256 pseudonyms and shifts: the same key and input give the same output in every run.</summary>
internal sealed class KeyedHash(byte[] key)
{
    private const string Base32 = "abcdefghijklmnopqrstuvwxyz234567";

    /// <summary>The HMAC of <c>purpose|value</c>.</summary>
    public byte[] Mac(string purpose, string value) =>
        HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(purpose + "|" + value));

    /// <summary>A lower-case base32 token of the given length (at most 51 characters).</summary>
    public string Token(string purpose, string value, int length)
    {
        var mac = Mac(purpose, value);
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            var bit = i * 5;
            var b = bit / 8;
            var pair = (mac[b] << 8) | (b + 1 < mac.Length ? mac[b + 1] : 0);
            chars[i] = Base32[(pair >> (11 - (bit % 8))) & 31];
        }

        return new string(chars);
    }

    /// <summary>A UUID (version 8, RFC 9562) made of the HMAC, lower case.</summary>
    public string Uuid(string purpose, string value)
    {
        var mac = Mac(purpose, value);
        mac[6] = (byte)((mac[6] & 0x0F) | 0x80);
        mac[8] = (byte)((mac[8] & 0x3F) | 0x80);
        var hex = Convert.ToHexStringLower(mac.AsSpan(0, 16));
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..32]}";
    }

    /// <summary>A shift in days in [-max, max], never 0.</summary>
    public int Shift(string personKey, int max)
    {
        var mac = Mac("date-shift", personKey);
        var n = BinaryPrimitives.ReadUInt64BigEndian(mac);
        var shift = (int)(n % (ulong)(2 * max)) - max;
        return shift >= 0 ? shift + 1 : shift;
    }
}
