using System.Text;

namespace HealthRecord.Sdk.Ccda.Tests;

/// <summary>Builds small synthetic C-CDA documents for focused tests.</summary>
internal static class MiniCda
{
    public static string Document(string sections, string? effectiveTime = "20240102103000-0500", string recordTargetExtra = "") => $"""
        <?xml version="1.0" encoding="UTF-8"?>
        <ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:sdtc="urn:hl7-org:sdtc">
          <templateId root="2.16.840.1.113883.10.20.22.1.2" extension="2015-08-01"/>
          <id root="2.16.840.1.113883.19.5.99999.1" extension="mini-1"/>
          <code code="34133-9" codeSystem="2.16.840.1.113883.6.1" displayName="Summarization of Episode Note"/>
          <title>Mini CCD</title>
          <effectiveTime value="{effectiveTime}"/>
          <confidentialityCode code="N" codeSystem="2.16.840.1.113883.5.25"/>
          <recordTarget><patientRole>
            <id root="2.16.840.1.113883.19.5.99999.2" extension="998991"/>
            <patient>
              <name use="L"><given>Ada</given><family>Test</family></name>
              <administrativeGenderCode code="F" codeSystem="2.16.840.1.113883.5.1"/>
              <birthTime value="19700101"/>
              {recordTargetExtra}
            </patient>
          </patientRole></recordTarget>
          <author><time value="20240102"/><assignedAuthor><id root="2.16.840.1.113883.4.6" extension="1234567893"/>
            <assignedPerson><name><given>Henry</given><family>Seven</family></name></assignedPerson></assignedAuthor></author>
          <custodian><assignedCustodian><representedCustodianOrganization><id root="2.16.840.1.113883.19.5"/><name>Good Health</name></representedCustodianOrganization></assignedCustodian></custodian>
          <component><structuredBody>{sections}</structuredBody></component>
        </ClinicalDocument>
        """;

    public static string Section(string templateRoot, string loinc, string text, string entries) => $"""
        <component><section>
          <templateId root="{templateRoot}" extension="2015-08-01"/>
          <code code="{loinc}" codeSystem="2.16.840.1.113883.6.1"/>
          <title>{loinc}</title>
          <text>{text}</text>
          {entries}
        </section></component>
        """;

    public static byte[] Bytes(string xml) => Encoding.UTF8.GetBytes(xml);
}
