using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Identity;

/// <summary>
/// A matcher that links from <see cref="PatientFeatures"/> as well as from whole Patients (the default probabilistic matcher):
/// a population run computes each Patient's features while its document is read, on the reading threads, and lets the
/// Patient go, so the first pass keeps a few hundred bytes per source Patient instead of the resource and its working copy.
/// Linking the features gives the same persons and links as <see cref="IPatientMatcher.LinkAsync"/> over the Patients.
/// </summary>
internal interface IPatientFeatureLinker
{
    /// <summary>The features the matcher compares, of one Patient (thread-safe).</summary>
    /// <param name="key">The candidate key (it may be set again once every Patient has been read: <see cref="PatientFeatures.Key"/>).</param>
    /// <param name="patient">The Patient; not kept.</param>
    /// <returns>The features.</returns>
    PatientFeatures Features(string key, Patient patient);

    /// <summary>Links candidates given by their features, as <see cref="IPatientMatcher.LinkAsync"/> links Patients.</summary>
    /// <param name="candidates">The features (with unique keys) and how each candidate's source names it.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>The persons and the compared pairs.</returns>
    ValueTask<PatientLinkResult> LinkAsync(IReadOnlyList<(PatientFeatures Features, SourcePatientReference Reference)> candidates, CancellationToken cancellationToken = default);
}
