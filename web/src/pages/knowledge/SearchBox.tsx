// "Test a question": the chunks the bot would retrieve for it, best first, with their scores
// and sources.
import { useState } from "react";
import { api } from "../../api/client";
import type { SearchOut } from "../../api/types";
import { Form, required } from "../../components/Form";
import { UserText } from "../../components/UserText";

export function SearchBox() {
  const [result, setResult] = useState<SearchOut | null>(null);
  return (
    <div className="card">
      <h2>Test a question</h2>
      <Form
        label="Test a question"
        submitLabel="Search knowledge"
        onSubmit={async (d) => {
          setResult(await api.post<SearchOut>("/api/v1/knowledge/search", { query: required(d, "query"), k: 5 }));
        }}
      >
        <label className="field">
          <span className="field-label">A customer's question</span>
          <input name="query" dir="auto" required maxLength={2000} placeholder="Does the soap contain palm oil?" />
        </label>
      </Form>
      {result && (
        <div aria-live="polite">
          <p className="muted">
            {result.results.length} chunks · model <span className="mono">{result.model}</span>
          </p>
          <ol className="hits" aria-label="Retrieved chunks">
            {result.results.map((h) => (
              <li key={h.chunk_id} className="hit">
                <div className="hit-head">
                  <span className="score" title="cosine similarity">
                    {h.score.toFixed(3)}
                  </span>{" "}
                  <UserText className="strong">{h.source_title}</UserText> <span className="tag">{h.source_kind}</span>
                </div>
                <p className="hit-text">
                  <UserText>{h.content}</UserText>
                </p>
              </li>
            ))}
          </ol>
        </div>
      )}
    </div>
  );
}
