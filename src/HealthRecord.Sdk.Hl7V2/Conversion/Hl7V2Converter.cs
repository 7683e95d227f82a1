using HealthRecord.Sdk.Hl7V2.Parsing;

namespace HealthRecord.Sdk.Hl7V2.Conversion;

/// <summary>
/// Converts HL7 v2 messages to FHIR R4 after the HL7 v2-to-FHIR IG: ADT (PID, PD1, NK1, PV1, PV2, AL1, DG1, PR1,
/// IN1, OBX, MRG), ORU/OUL (OBR, OBX, NTE, SPM), VXU (RXA, RXR, OBX), MDM (TXA, OBX), PPR (PRB) and the patient,
/// visit and clinical segments of other messages. Every segment is accounted for in the report.
/// </summary>
/// <remarks>
/// Ids are deterministic: a name-based UUID of the message (sender, control id and content) and the segment's
/// position, or of the content for practitioners and organisations, so replaying a feed gives the same records.
/// Thread-safe (static, no shared state).
/// </remarks>
public static class Hl7V2Converter
{
    /// <summary>Converts one message.</summary>
    /// <param name="message">The parsed message.</param>
    /// <param name="options">Conversion options; <see cref="Hl7V2ConversionOptions.Default"/> when omitted.</param>
    /// <returns>The resources and the report.</returns>
    public static Hl7V2ConversionResult Convert(Hl7V2Message message, Hl7V2ConversionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new MessageConverter(message, options ?? Hl7V2ConversionOptions.Default).Run();
    }

    /// <summary>Converts every message of a parsed input.</summary>
    /// <param name="batch">The parsed input.</param>
    /// <param name="options">Conversion options.</param>
    /// <returns>One result per message, in order.</returns>
    public static IReadOnlyList<Hl7V2ConversionResult> Convert(Hl7V2Batch batch, Hl7V2ConversionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return batch.Messages.Select(m => Convert(m, options)).ToList();
    }

    /// <summary>Parses and converts HL7 v2 text (one or more messages).</summary>
    /// <param name="text">The ER7 text.</param>
    /// <param name="options">Conversion options.</param>
    /// <returns>One result per message, in order.</returns>
    /// <exception cref="Hl7V2ParseException">The text is not well-formed HL7 v2.</exception>
    public static IReadOnlyList<Hl7V2ConversionResult> Convert(string text, Hl7V2ConversionOptions? options = null) =>
        Convert(Hl7V2Parser.Parse(text), options);
}
