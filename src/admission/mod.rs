//! Admission plugins: CertificateApproval, CertificateSigning, CertificateSubjectRestriction, NodeRestriction (CSR rule).
