using System.Globalization;
using System.Text;
using HealthRecord.Sdk.Terminology;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Views;

/// <summary>
/// What a medication record says about the drug, at ingredient and strength level, derived from what the
/// record carries — without a drug terminology: the <c>Medication.ingredient</c> list (item names and
/// strength ratios), else the RxNorm naming convention of the codings' displays and the text
/// (<c>"albuterol 0.09 MG/ACTUAT Metered Dose Inhaler"</c>: ingredient, strength, dose form; a branded
/// product adds <c>[Brand]</c>; several ingredients are joined by <c>" / "</c>). So the RxNorm clinical drug,
/// the branded drug and the ingredient of albuterol all read as albuterol, the first two with 0.09 MG/ACTUAT.
/// </summary>
/// <remarks>
/// Limits: a brand name written without its ingredient ("Proventil HFA") is read as an ingredient of that
/// name; salts are part of the ingredient (metoprolol succinate and metoprolol tartrate are different
/// drugs); strengths compare as written after case and spacing (0.09 MG/ACTUAT and 90 MCG/ACTUAT differ).
/// </remarks>
internal sealed record DrugProduct(string Ingredients, string? Strength)
{
    // RxNorm dose-form and route words that may follow an ingredient when no strength separates them.
    private static readonly HashSet<string> FormWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "oral", "tablet", "tablets", "capsule", "capsules", "solution", "suspension", "injection", "injectable", "inhaler", "inhalant",
        "inhalation", "powder", "metered", "dose", "cream", "ointment", "gel", "patch", "spray", "nasal", "topical", "ophthalmic",
        "drops", "syrup", "elixir", "extended", "release", "delayed", "chewable", "disintegrating", "film", "coated", "prefilled",
        "syringe", "auto", "injector", "transdermal", "system", "lotion", "suppository", "rectal", "vaginal", "otic", "aerosol", "hfa",
        "product", "pack", "kit", "vial", "pen", "cartridge", "liquid", "granules", "lozenge", "sublingual", "buccal", "foam", "shampoo",
    };

    /// <summary>The product a medication concept names, with the Medication record it came from when there is one.</summary>
    /// <param name="concept">The medication concept.</param>
    /// <param name="medication">The referenced Medication, if any.</param>
    /// <returns>The product, or <see langword="null"/> when nothing names an ingredient.</returns>
    public static DrugProduct? Of(CodeableConcept? concept, Medication? medication)
    {
        if (medication is not null && FromIngredients(medication) is { } fromList)
        {
            return fromList;
        }

        var names = new List<string?>();
        if (concept is not null)
        {
            names.AddRange(concept.Coding.Select(c => c.Display));
            names.Add(concept.Text);
        }

        DrugProduct? ingredientOnly = null;
        foreach (var name in names)
        {
            if (Parse(name) is { } p)
            {
                if (p.Strength is not null)
                {
                    return p;
                }

                ingredientOnly ??= p;
            }
        }

        return ingredientOnly;
    }

    /// <summary>Reads an RxNorm-style name: ingredients and strengths, dose form and brand dropped.</summary>
    /// <param name="name">The name.</param>
    /// <returns>The product, or <see langword="null"/> when no ingredient is named.</returns>
    public static DrugProduct? Parse(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return null;
        }

        var text = name;
        var bracket = text.IndexOf('[', StringComparison.Ordinal);
        if (bracket > 0)
        {
            text = text[..bracket];
        }

        var ingredients = new List<string>();
        var strengths = new List<string>();
        foreach (var part in text.Split(" / ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var words = part.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var i = 0;
            var ingredient = new List<string>();
            while (i < words.Length && !StartsWithDigit(words[i]) && !(ingredient.Count > 0 && FormWords.Contains(words[i])))
            {
                ingredient.Add(words[i]);
                i++;
            }

            if (ClinicalText.Normalize(string.Join(' ', ingredient)) is not { } key)
            {
                continue;
            }

            ingredients.Add(key);
            if (i + 1 < words.Length && StartsWithDigit(words[i]))
            {
                strengths.Add(string.Create(CultureInfo.InvariantCulture, $"{key} {Number(words[i])} {words[i + 1].ToUpperInvariant()}"));
            }
        }

        if (ingredients.Count == 0)
        {
            return null;
        }

        ingredients.Sort(StringComparer.Ordinal);
        strengths.Sort(StringComparer.Ordinal);
        return new DrugProduct(string.Join(" + ", ingredients), strengths.Count == ingredients.Count ? string.Join(" + ", strengths) : null);
    }

    private static DrugProduct? FromIngredients(Medication medication)
    {
        var ingredients = new List<string>();
        var strengths = new List<string>();
        foreach (var ingredient in medication.Ingredient)
        {
            var concept = ingredient.Item as CodeableConcept;
            var name = concept?.Text ?? concept?.Coding.Select(c => c.Display).FirstOrDefault(d => !string.IsNullOrWhiteSpace(d)) ?? (ingredient.Item as ResourceReference)?.Display;
            if (Parse(name) is not { } p)
            {
                return null;
            }

            ingredients.Add(p.Ingredients);
            if (ingredient.Strength?.Numerator is { Value: { } n } num)
            {
                var unit = (num.Code ?? num.Unit ?? "").ToUpperInvariant();
                var per = ingredient.Strength.Denominator is { } d ? "/" + (d.Value is { } dv && dv != 1 ? Number(dv.ToString(CultureInfo.InvariantCulture)) : "") + (d.Code ?? d.Unit ?? "").ToUpperInvariant() : "";
                strengths.Add(string.Create(CultureInfo.InvariantCulture, $"{p.Ingredients} {Number(n.ToString(CultureInfo.InvariantCulture))} {unit}{per}"));
            }
        }

        if (ingredients.Count == 0)
        {
            return null;
        }

        ingredients.Sort(StringComparer.Ordinal);
        strengths.Sort(StringComparer.Ordinal);
        return new DrugProduct(string.Join(" + ", ingredients), strengths.Count == ingredients.Count ? string.Join(" + ", strengths) : null);
    }

    private static bool StartsWithDigit(string word) => word.Length > 0 && (char.IsAsciiDigit(word[0]) || (word[0] == '.' && word.Length > 1 && char.IsAsciiDigit(word[1])));

    // 0.090 and .09 are one strength.
    private static string Number(string text) =>
        decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d.ToString("0.############", CultureInfo.InvariantCulture) : text;

    /// <inheritdoc />
    public override string ToString() => new StringBuilder(Ingredients).Append(Strength is null ? "" : " (" + Strength + ")").ToString();
}
