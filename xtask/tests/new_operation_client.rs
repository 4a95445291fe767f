//! The client half of the "add an operation" proof (the verifier, generator and mock half is
//! `contract-tests/tests/new_operation.rs`): a copy of the document gains
//! `GET /v5/JobSessions/{jobSessionId}`, and the very generation step the client's build runs
//! (`client/codegen.rs`, no Rust edit) gives the client a typed method for it.

#[path = "../../client/codegen.rs"]
#[allow(dead_code)]
mod codegen;

use quote::ToTokens;

/// The document as committed, with the new operation added.
fn document_with_new_operation() -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let text = std::fs::read_to_string(root.join(codegen::SPEC_PATH)).unwrap();
    let mut document: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let operation: serde_yaml::Value = serde_yaml::from_str(
        r##"
get:
  operationId: get_job_session
  tags: [Jobs]
  summary: One session of a backup job
  parameters:
    - name: jobSessionId
      in: path
      required: true
      schema: { type: string, format: uuid }
  responses:
    "200":
      description: The session.
      content:
        application/json; charset=utf-8:
          schema: { $ref: "#/components/schemas/JobSession" }
    "404":
      $ref: "#/components/responses/Error"
"##,
    )
    .unwrap();
    document["paths"]
        .as_mapping_mut()
        .unwrap()
        .insert("/v5/JobSessions/{jobSessionId}".into(), operation);
    serde_yaml::to_string(&document).unwrap()
}

/// The signature of method `name` of `impl Client` in generated code, as tokens.
fn method_signature(code: &str, name: &str) -> Option<String> {
    let file = syn::parse_file(code).unwrap();
    file.items.iter().find_map(|item| {
        let syn::Item::Impl(block) = item else {
            return None;
        };
        if block.self_ty.to_token_stream().to_string() != "Client" {
            return None;
        }
        block.items.iter().find_map(|item| match item {
            syn::ImplItem::Fn(f) if f.sig.ident == name => {
                Some(f.sig.to_token_stream().to_string())
            }
            _ => None,
        })
    })
}

#[test]
fn an_operation_added_to_the_document_becomes_a_typed_client_method() {
    let committed = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/vbo-v5.yaml"),
    )
    .unwrap();
    let before = codegen::generate(&committed).unwrap();
    assert_eq!(method_signature(&before, "get_job_session"), None);

    let after = codegen::generate(&document_with_new_operation()).unwrap();
    let signature = method_signature(&after, "get_job_session")
        .expect("the generated client has a method for the new operation");
    let compact: String = signature.split_whitespace().collect();
    assert!(
        compact.contains("job_session_id:&'a::uuid::Uuid"),
        "{signature}"
    );
    assert!(
        compact.contains("ResponseValue<types::JobSession>"),
        "{signature}"
    );
    assert!(compact.contains("Error<types::Error>"), "{signature}");
    // The lenient copy reads it too: generation of the `wire` types accepts the document.
    codegen::generate_wire(&document_with_new_operation()).unwrap();
}
