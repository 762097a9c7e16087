import { Layout } from "../layout";
import { CsrfField, Field, type FieldErrors, FormProblem, type FormValues } from "./fields";
import type { SellerShell } from "./shell";

export interface AuthFormProps extends SellerShell {
  values: FormValues;
  errors: FieldErrors;
  /** A problem with the form as a whole, such as a wrong password. */
  problem?: string | undefined;
}

export function SignUpPage(props: AuthFormProps) {
  return (
    <Layout title="Create a seller account" csrfToken={props.csrfToken} scripts={["dashboard.js"]}>
      <div class="narrow">
        <h1>Create a seller account</h1>
        <FormProblem message={props.problem} />
        <form method="post" action="/seller/sign-up" class="card" id="sign-up-form" novalidate>
          <CsrfField token={props.csrfToken} />
          <Field
            name="name"
            label="Shop name"
            values={props.values}
            errors={props.errors}
            required
            autocomplete="organization"
            maxlength={100}
          />
          <Field
            name="email"
            label="Email"
            type="email"
            values={props.values}
            errors={props.errors}
            required
            autocomplete="email"
          />
          <Field
            name="password"
            label="Password"
            type="password"
            values={props.values}
            errors={props.errors}
            required
            autocomplete="new-password"
            hint="At least 10 characters."
          />
          <button type="submit" data-pending-label="Creating your account…">
            Create account
          </button>
        </form>
        <p>
          Already selling? <a href="/seller/sign-in">Sign in</a>
        </p>
      </div>
    </Layout>
  );
}

export interface SignInProps extends AuthFormProps {
  /** Where to go after signing in. */
  next: string;
}

export function SignInPage(props: SignInProps) {
  return (
    <Layout title="Sign in" csrfToken={props.csrfToken} scripts={["dashboard.js"]}>
      <div class="narrow">
        <h1>Sign in</h1>
        <FormProblem message={props.problem} />
        <form method="post" action="/seller/sign-in" class="card" id="sign-in-form" novalidate>
          <CsrfField token={props.csrfToken} />
          <input type="hidden" name="next" value={props.next} />
          <Field
            name="email"
            label="Email"
            type="email"
            values={props.values}
            errors={props.errors}
            required
            autocomplete="email"
          />
          <Field
            name="password"
            label="Password"
            type="password"
            values={props.values}
            errors={props.errors}
            required
            autocomplete="current-password"
          />
          <button type="submit" data-pending-label="Signing in…">
            Sign in
          </button>
        </form>
        <p>
          New here? <a href="/seller/sign-up">Create a seller account</a>
        </p>
      </div>
    </Layout>
  );
}
