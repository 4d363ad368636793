"""The auditors' view of the audit Merkle tree: signed heads, inclusion and consistency proofs."""

from datetime import UTC, datetime

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from agencies.roles import Role
from protocol.filters import PAGING_PARAMETERS, refuse_unknown_and_empty
from protocol.viewsets import ExchangeViewSet

from .audit import audit_events_visible_to, audit_record
from .audit_tree import ProofUnavailable, consistency_proof, inclusion_proof, tree_head_latest
from .models import AuditTreeHead


class TreeHeadSerializer(serializers.ModelSerializer):
    """A signed tree head; the signature covers ``mekong-audit-tree-head/1``, the size, the root
    and the timestamp, one a line (see the README)."""

    sealed_at = serializers.SerializerMethodField(help_text="The timestamp in ISO 8601, UTC.")

    class Meta:
        model = AuditTreeHead
        fields = ["tree_size", "root_hash", "timestamp", "sealed_at", "key_id", "signature"]
        read_only_fields = fields
        extra_kwargs = {
            "tree_size": {"help_text": "How many leaves (audit rows) the tree holds."},
            "root_hash": {"help_text": "The RFC 9162 root hash, hex."},
            "timestamp": {"help_text": "Milliseconds since the epoch, as signed."},
            "key_id": {"help_text": "First 16 hex digits of SHA-256 of the raw public key."},
            "signature": {"help_text": "Ed25519 signature, base64."},
        }

    def get_sealed_at(self, head) -> str:
        return datetime.fromtimestamp(head.timestamp / 1000, UTC).isoformat().replace("+00:00", "Z")


BIGINT_MAX = 2**63 - 1


class InclusionQuerySerializer(serializers.Serializer):
    sequence = serializers.IntegerField(
        min_value=1, max_value=BIGINT_MAX, help_text="The audit row's sequence."
    )


class ConsistencyQuerySerializer(serializers.Serializer):
    first = serializers.IntegerField(
        min_value=1, max_value=BIGINT_MAX, help_text="The size of the earlier head."
    )


class InclusionProofSerializer(serializers.Serializer):
    tree_size = serializers.IntegerField(source="head.tree_size")
    root_hash = serializers.CharField(source="head.root_hash")
    sequence = serializers.IntegerField()
    leaf_index = serializers.IntegerField()
    row_hash = serializers.CharField(help_text="SHA-256 of ``canonical``, hex.")
    canonical = serializers.CharField(
        help_text="The row's canonical JSON, which its hash covers: compare it with your records."
    )
    audit_path = serializers.ListField(
        child=serializers.CharField(),
        help_text="RFC 9162 audit path, hex, from the leaf up. The leaf is the 8-byte "
        "big-endian sequence followed by the 32 bytes of row_hash.",
    )


class ConsistencyProofSerializer(serializers.Serializer):
    first = serializers.IntegerField()
    second = serializers.IntegerField()
    consistency_path = serializers.ListField(
        child=serializers.CharField(), help_text="RFC 9162 consistency proof, hex."
    )


def _query(params, serializer_class) -> dict:
    refuse_unknown_and_empty(params, known=set(serializer_class().fields))
    query = serializer_class(data=params)
    query.is_valid(raise_exception=True)
    return query.validated_data


class TreeHeadViewSet(mixins.ListModelMixin, ExchangeViewSet):
    """Signed heads of the audit trail's Merkle tree and proofs against them, for auditors.
    Heads and consistency proofs are the same for every auditor; an inclusion proof is given
    only for a row the auditor may read in the audit trail."""

    serializer_class = TreeHeadSerializer
    allowed_roles = {Role.AUDITOR}
    read_scope = "audit:read"
    cursor_ordering = ("-tree_size",)
    audit_object_type = "audit_tree"
    lookup_field = "tree_size"
    lookup_value_regex = "[0-9]{1,18}"

    def get_queryset(self):
        return AuditTreeHead.objects.all()

    def _audit(self, action_name: str, **detail) -> None:
        audit_record(
            actor=self.caller,
            action=f"audit_tree.{action_name}",
            object_type=self.audit_object_type,
            detail=detail,
        )

    def _head(self) -> AuditTreeHead:
        head = AuditTreeHead.objects.filter(tree_size=int(self.kwargs["tree_size"])).first()
        if head is None:
            raise Http404
        return head

    @extend_schema(
        summary="Signed tree heads, largest first",
        description="Every signed head of the audit log's Merkle tree (size, root, time, key "
        "and Ed25519 signature), newest first; a partner keeps them to check later heads.",
    )
    def list(self, request):
        # The paginator judges cursor and limit; anything else is refused.
        others = {k: v for k, v in request.query_params.items() if k not in PAGING_PARAMETERS}
        refuse_unknown_and_empty(others, known=set())
        page = self.paginate_queryset(self.get_queryset())
        self._audit("list")
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary="The latest signed tree head",
        description="The head the sealer signed last: every audit row up to its size is sealed "
        "under its root. 404 while nothing has been sealed.",
    )
    @action(detail=False)
    def latest(self, request):
        refuse_unknown_and_empty(request.query_params, known=set())
        head = tree_head_latest()
        if head is None:
            raise Http404
        self._audit("read", tree_size=head.tree_size)
        return Response(self.get_serializer(head).data)

    @extend_schema(
        summary="The signed tree head of a given size",
        description="The head signed when the tree had exactly this many leaves; 404 when no "
        "head of that size was signed.",
    )
    def retrieve(self, request, tree_size=None):
        refuse_unknown_and_empty(request.query_params, known=set())
        head = self._head()
        self._audit("read", tree_size=head.tree_size)
        return Response(self.get_serializer(head).data)

    @extend_schema(
        summary="Inclusion proof of an audit row in this head",
        description="The audit path (RFC 9162) proving that the row of this sequence is a leaf "
        "under the head's root; only for a row the auditor may read in the audit trail.",
        parameters=[InclusionQuerySerializer],
        responses=InclusionProofSerializer,
    )
    @action(detail=True)
    def inclusion(self, request, tree_size=None):
        sequence = _query(request.query_params, InclusionQuerySerializer)["sequence"]
        head = self._head()
        if not audit_events_visible_to(self.caller).filter(sequence=sequence).exists():
            raise Http404
        try:
            proof = inclusion_proof(head=head, sequence=sequence)
        except ProofUnavailable as exc:
            raise ValidationError(
                {"sequence": [_("This row is not sealed in this tree head yet.")]}
            ) from exc
        self._audit("inclusion", tree_size=head.tree_size, sequence=sequence)
        return Response(InclusionProofSerializer(proof).data)

    @extend_schema(
        summary="Consistency proof: this head extends an earlier one",
        description="The proof (RFC 9162) that the tree of `first` leaves is a prefix of this "
        "head's tree: the log was only appended to between the two heads.",
        parameters=[ConsistencyQuerySerializer],
        responses=ConsistencyProofSerializer,
    )
    @action(detail=True)
    def consistency(self, request, tree_size=None):
        first = _query(request.query_params, ConsistencyQuerySerializer)["first"]
        head = self._head()
        if first > head.tree_size:
            raise ValidationError({"first": [_("It must not exceed this head's tree size.")]})
        path = consistency_proof(first=first, second=head)
        self._audit("consistency", first=first, tree_size=head.tree_size)
        data = {"first": first, "second": head.tree_size, "consistency_path": path}
        return Response(ConsistencyProofSerializer(data).data)
