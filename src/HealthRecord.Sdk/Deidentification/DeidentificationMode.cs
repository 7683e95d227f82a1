namespace HealthRecord.Sdk.Deidentification;

/// <summary>How the Safe Harbor defaults treat dates.</summary>
public enum DeidentificationMode
{
    /// <summary>HIPAA Safe Harbor: every date keeps only its year.</summary>
    SafeHarbor = 0,

    /// <summary>
    /// Every date of a person moves by the same number of days, derived with a keyed HMAC of the person, so that
    /// every interval between that person's dates is kept, in every source and every run with the same key.
    /// Not Safe Harbor: a limited data set or an expert determination must cover it.
    /// </summary>
    DateShift = 1,
}
