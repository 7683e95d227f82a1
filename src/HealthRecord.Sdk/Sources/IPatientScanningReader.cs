using HealthRecord.Sdk.Errors;

namespace HealthRecord.Sdk.Sources;

/// <summary>
/// An optional capability of a document reader: the cheap first pass of a population run. It finds the
/// document's Patient records — read exactly as <see cref="ISourceDocumentReader.ReadAsync"/> reads them — and
/// counts its other records without deserialising them. Readers that cannot scan are read in full instead.
/// </summary>
internal interface IPatientScanningReader
{
    /// <summary>Scans a document.</summary>
    /// <param name="document">The document.</param>
    /// <param name="cancellationToken">Cancels the scan.</param>
    /// <returns>The Patient records (as a full read gives them) and how many records a full read gives in all.</returns>
    /// <exception cref="SourceReadException">The document as a whole cannot be read (as a full read would fail).</exception>
    Task<PatientScan> ScanPatientsAsync(SourceDocument document, CancellationToken cancellationToken = default);
}

/// <summary>What a Patient scan found in one document.</summary>
/// <param name="Patients">The Patient records, in document order, as a full read gives them.</param>
/// <param name="Records">How many records (of any type, rejected ones included) a full read of the document gives.</param>
internal sealed record PatientScan(IReadOnlyList<SourceRecord> Patients, int Records);

/// <summary>Runs a scan behind the same boundary as a full read.</summary>
internal static class PatientScans
{
    /// <summary>
    /// Scans a document when its reader can, else (or when the scan meets anything but a document-level read error)
    /// reads it in full through <see cref="DocumentReaders.ReadAsync"/>, whose result keeps every record.
    /// </summary>
    /// <returns>The document; <see cref="SourceDocumentResult.ScannedRecords"/> is set when it was scanned (then <see cref="SourceDocumentResult.Records"/> holds the Patients only).</returns>
    public static async Task<SourceDocumentResult> ScanOrReadAsync(ISourceDocumentReader reader, SourceDocument document, CancellationToken cancellationToken)
    {
        if (reader is IPatientScanningReader scanner)
        {
            try
            {
                var scan = await scanner.ScanPatientsAsync(document, cancellationToken).ConfigureAwait(false);
                return new SourceDocumentResult
                {
                    SourceName = document.SourceName,
                    DocumentId = document.DocumentId,
                    Format = reader.Format,
                    Records = scan.Patients,
                    ScannedRecords = scan.Records,
                };
            }
            catch (SourceReadException ex)
            {
                return DocumentReaders.Failed(document, ex);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Anything unexpected: the full read decides, behind the readers' own exception boundary.
            }
        }

        return await DocumentReaders.ReadAsync(reader, document, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>
/// An optional capability of a source adapter: reads a source for the first pass of a population run, letting
/// its document readers scan for Patients (<see cref="IPatientScanningReader"/>) instead of reading every record.
/// </summary>
internal interface IPatientScanningAdapter
{
    /// <summary>Reads the source as <see cref="IEmrSourceAdapter.ReadAsync"/> does, scanning the documents whose reader can.</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The documents; scanned ones have <see cref="SourceDocumentResult.ScannedRecords"/> set.</returns>
    IAsyncEnumerable<SourceDocumentResult> ScanPatientsAsync(SourceRequest request, CancellationToken cancellationToken = default);
}
