using FluentValidation;

namespace HealthRecord.Sdk.Identity;

/// <summary>Validates <see cref="ProbabilisticPatientMatcherOptions"/>: finite, ordered thresholds and sane limits.</summary>
public sealed class ProbabilisticPatientMatcherOptionsValidator : AbstractValidator<ProbabilisticPatientMatcherOptions>
{
    /// <summary>Creates the validator.</summary>
    public ProbabilisticPatientMatcherOptionsValidator()
    {
        RuleFor(o => o.MatchThreshold).Must(double.IsFinite).WithMessage("must be a finite number.");
        RuleFor(o => o.PossibleThreshold).Must(double.IsFinite).WithMessage("must be a finite number.")
            .LessThanOrEqualTo(o => o.MatchThreshold).WithMessage("must not exceed MatchThreshold.");
        RuleFor(o => o.ConflictThreshold).Must(double.IsFinite).WithMessage("must be a finite number.")
            .LessThanOrEqualTo(o => o.PossibleThreshold).WithMessage("must not exceed PossibleThreshold.");
        RuleFor(o => o.MinimumPairsForEstimation).GreaterThanOrEqualTo(100);
        RuleFor(o => o.MaximumEstimationIterations).InclusiveBetween(1, 10_000);
        RuleFor(o => o.MaximumBlockSize).InclusiveBetween(2, 1_000_000);
    }
}
