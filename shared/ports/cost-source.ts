/** A billing data source normalised to FOCUS 1.2 rows (AWS Cost Explorer, Azure Cost Management, GCP billing export). */

/** A FOCUS 1.2 row; meshgate-specific columns are prefixed `x_`. Amounts are decimal strings. */
export interface FocusRow {
  readonly BilledCost: string;
  readonly EffectiveCost: string;
  readonly ListCost: string;
  readonly ContractedCost: string;
  readonly BillingCurrency: string;
  readonly BillingAccountId: string;
  readonly BillingPeriodStart: string;
  readonly BillingPeriodEnd: string;
  readonly ChargePeriodStart: string;
  readonly ChargePeriodEnd: string;
  readonly ChargeCategory: 'Usage' | 'Purchase' | 'Tax' | 'Credit' | 'Adjustment';
  readonly ProviderName: string;
  readonly PublisherName: string;
  readonly InvoiceIssuerName: string;
  readonly ServiceCategory: string;
  readonly ServiceName: string;
  readonly RegionId?: string;
  readonly ResourceId?: string;
  readonly Tags?: Readonly<Record<string, string>>;
  /** Identity of the source row; upserts are keyed on it so re-running a sweep changes nothing. */
  readonly x_SourceRowId: string;
}

export interface CostWindow {
  /** Inclusive ISO date (YYYY-MM-DD). */
  readonly start: string;
  /** Exclusive ISO date (YYYY-MM-DD). */
  readonly end: string;
}

export interface CostSource {
  readonly provider: string;
  /**
   * Rows for the window, page by page. Each page is a separate (possibly billed) API call; callers
   * budget calls with `maxRequests`. Errors: `unauthorized`, `throttled`, `unavailable`, `validation`.
   */
  fetch(window: CostWindow, options?: { maxRequests?: number }): AsyncIterable<FocusRow[]>;
}
