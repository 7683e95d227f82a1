namespace HealthRecord.Sdk.Model;

/// <summary>
/// Copies of one fact that disagree on something that matters (a status, a value). The EHR keeps
/// <see cref="ChosenValue"/> by policy and this conflict keeps every alternative visible.
/// </summary>
/// <param name="EhrResource"><c>Type/id</c> of the EHR record.</param>
/// <param name="Element">The element that differs, e.g. <c>clinicalStatus</c>.</param>
/// <param name="ChosenValue">The value the EHR kept.</param>
/// <param name="ChosenFrom">The source record it came from (<c>source:Type/id</c>).</param>
/// <param name="Alternatives">The other values and where they came from.</param>
/// <param name="Policy">The merge policy that chose.</param>
public sealed record EhrConflict(string EhrResource, string Element, string ChosenValue, string ChosenFrom, IReadOnlyList<ConflictValue> Alternatives, string Policy);

/// <summary>A value one source reported.</summary>
/// <param name="Value">The value, as text.</param>
/// <param name="From">The source record (<c>source:Type/id</c>).</param>
public sealed record ConflictValue(string Value, string From);
