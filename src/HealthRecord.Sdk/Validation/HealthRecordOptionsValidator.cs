using FluentValidation;

namespace HealthRecord.Sdk.Validation;

/// <summary>Validates <see cref="HealthRecordOptions"/>.</summary>
public sealed class HealthRecordOptionsValidator : AbstractValidator<HealthRecordOptions>
{
    /// <summary>Creates the validator.</summary>
    public HealthRecordOptionsValidator()
    {
        RuleFor(o => o.MaxDocumentBytes).GreaterThan(0);
        RuleFor(o => o.MaxJsonDepth).InclusiveBetween(16, 4096);
        RuleFor(o => o.MaxParallelSources).InclusiveBetween(1, 256);
        RuleFor(o => o.MaxBlockSize).GreaterThanOrEqualTo(2);
        RuleForEach(o => o.SourcePriority).NotEmpty().WithMessage("Source names in SourcePriority must not be empty.");
        RuleFor(o => o.SourcePriority)
            .Must(p => p.Distinct(StringComparer.Ordinal).Count() == p.Count)
            .WithMessage("SourcePriority lists a source more than once.");
    }
}
